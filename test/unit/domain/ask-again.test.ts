import { describe, expect, it } from 'vitest';
import {
  type AfterLostAnswer,
  afterLostAnswer,
  documentedApprovalLifetimeMs,
} from '../../../src/domain/ask-again.js';

const askingSince = new Date('2026-06-12T10:00:00.000Z');
const later = (ms: number) => new Date(askingSince.getTime() + ms);
const minute = 60_000;
const hour = 60 * minute;
const day = documentedApprovalLifetimeMs;

describe('afterLostAnswer', () => {
  it.each<[string, number, number, number | undefined, AfterLostAnswer]>([
    ['a restart a minute later', minute, day, undefined, 'ask-again'],
    ['a day later', 24 * hour, day, undefined, 'ask-again'],
    ['71 h 58 min later, inside the minute of skew', 72 * hour - 2 * minute, day, undefined, 'ask-again'],
    ['71 h 59 min later: it may have lapsed', 72 * hour - minute, day, undefined, 'unconfirmed'],
    ['past the lifetime', 73 * hour, day, undefined, 'unconfirmed'],
    ['past it, with a tracked approval pending for hours', 73 * hour, day, 80 * hour, 'take-tracked'],
    [
      'past it, the tracked approval inside its last minute',
      73 * hour,
      day,
      73 * hour + 30_000,
      'unconfirmed',
    ],
    ['past it, the tracked approval lapsed itself', 73 * hour, day, 72 * hour, 'unconfirmed'],
    ['a 45 s lifetime, 30 s later', 30_000, 45_000, undefined, 'ask-again'],
    ['a 45 s lifetime, 40.4 s later (margin 4.5 s)', 40_400, 45_000, undefined, 'ask-again'],
    ['a 45 s lifetime, 40.5 s later', 40_500, 45_000, undefined, 'unconfirmed'],
    ['a clock that went back', -minute, day, undefined, 'ask-again'],
  ])('%s', (_name, elapsedMs, lifetimeMs, pendingUntilMs, expected) => {
    const trackedPendingUntil = pendingUntilMs === undefined ? undefined : later(pendingUntilMs);
    expect(afterLostAnswer({ askingSince, now: later(elapsedMs), lifetimeMs, trackedPendingUntil })).toBe(
      expected,
    );
  });
});
