/** The only way code reads the time. Production uses the system clock; tests and the sandbox move their own. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock that follows real time from an adjustable offset. The sandbox and the end-to-end tests share one
 * between the bot and the OpenTrain simulator, so "fast-forward 23 hours" moves both together while timers
 * and network timeouts keep running on real time.
 */
export class ShiftableClock implements Clock {
  private offsetMs = 0;
  private readonly listeners = new Set<(now: Date) => void>();

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a clock only moves forward');
    this.offsetMs += ms;
    const now = this.now();
    for (const listener of this.listeners) listener(now);
    return now;
  }

  /** Runs `listener` after every advance(); returns a function that unsubscribes it. */
  onAdvance(listener: (now: Date) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
