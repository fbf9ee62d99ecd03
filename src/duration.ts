const units = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const pattern = /^(\d{1,6})(s|m|h|d)$/;

/** Parses `45s`, `90m`, `24h` or `2d` into milliseconds; undefined when the text is not one of those. */
export function parseDuration(text: string): number | undefined {
  const match = pattern.exec(text.trim().toLowerCase());
  if (match === null) return undefined;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof units];
  return Number(amount) * units[unit];
}

/** `24h`, `90m`, `45s`: an exact spelling in the units REMINDER_OFFSETS uses, for logs and settings output. */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm'] as const) {
    if (ms % units[unit] === 0 && ms >= units[unit]) return `${ms / units[unit]}${unit}`;
  }
  return `${Math.round(ms / 1_000)}s`;
}

/** "72 hours", "1 hour", "45 minutes", "less than a minute": how long is left, rounded for people. */
export function describeTimeLeft(ms: number): string {
  if (ms < 60_000) return 'less than a minute';
  const minutes = Math.round(ms / 60_000);
  if (minutes === 1) return '1 minute';
  if (minutes < 60) return `${minutes} minutes`;
  if (minutes < 90) return '1 hour';
  return `${Math.round(minutes / 60)} hours`;
}

const hour = units.h;

export interface Countdown {
  /** "71 hours", "about an hour", "less than an hour". */
  readonly text: string;
  /** How much time will be left when `text` next changes; 0 means it holds until expiry. */
  readonly changesAtMsLeft: number;
}

const day = units.d;

/**
 * The time left as shown by a message that is edited rather than re-sent (the card), coarse far from expiry
 * and finer near it: whole days while more than a day and a half is left, "about a day", then whole hours in
 * the last day. It changes about 27 times over a 72-hour approval (not 72), which keeps 100,000 cards inside
 * Slack's edit limits, and it says when it next changes so the message can be refreshed then.
 */
export function describeCountdown(msLeft: number): Countdown {
  if (msLeft > 1.5 * day) {
    // Halves round down, so the text changes exactly when `changesAtMsLeft` is left.
    const days = Math.ceil(msLeft / day - 0.5);
    return { text: `${days} days`, changesAtMsLeft: (days - 0.5) * day };
  }
  if (msLeft > 23.5 * hour) return { text: 'about a day', changesAtMsLeft: 23.5 * hour };
  if (msLeft > 1.5 * hour) {
    // Halves round down, so the text changes exactly when `changesAtMsLeft` is left.
    const hours = Math.ceil(msLeft / hour - 0.5);
    return { text: `${hours} hours`, changesAtMsLeft: (hours - 0.5) * hour };
  }
  if (msLeft > 0.5 * hour) return { text: 'about an hour', changesAtMsLeft: 0.5 * hour };
  return { text: 'less than an hour', changesAtMsLeft: 0 };
}
