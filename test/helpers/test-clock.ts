import { type Logger, pino } from 'pino';
import type { Clock } from '../../src/clock.js';
import type { Metrics } from '../../src/ports/metrics.js';
import { t0 } from './builders.js';

/** A clock that stands still until the test moves it: every `now()` in a test is the time the test chose. */
export class TestClock implements Clock {
  private time: number;

  constructor(start: Date = t0) {
    this.time = start.getTime();
  }

  now(): Date {
    return new Date(this.time);
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a clock only moves forward');
    this.time += ms;
    return this.now();
  }

  set(to: Date): Date {
    if (to.getTime() < this.time) throw new RangeError('a clock only moves forward');
    this.time = to.getTime();
    return this.now();
  }
}

/** A logger that writes nothing. */
export function silentLog(): Logger {
  return pino({ level: 'silent' });
}

/** Metrics that count what they were told, for tests that check what a dashboard would show. */
export class CountingMetrics implements Metrics {
  reminders = 0;
  readonly decisions: { status: string; seconds: number }[] = [];

  reminderSent(): void {
    this.reminders++;
  }

  decided(status: string, seconds: number): void {
    this.decisions.push({ status, seconds });
  }
}
