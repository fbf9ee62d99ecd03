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
