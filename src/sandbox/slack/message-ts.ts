import type { Clock } from '../../clock.js';

export interface TsSource {
  /** The next message ts: "<seconds>.<6 digits>", never repeated, never going backwards. */
  next(): string;
}

/**
 * Slack's ts is both the message id and its time, so it comes from the injected clock (a sandbox fast-forward
 * shows up in message times) and is bumped by a microsecond when two messages land in the same instant.
 */
export function createTsSource(clock: Clock): TsSource {
  let lastMicros = 0n;
  return {
    next() {
      const nowMicros = BigInt(clock.now().getTime()) * 1000n;
      lastMicros = nowMicros > lastMicros ? nowMicros : lastMicros + 1n;
      return formatTs(lastMicros);
    },
  };
}

function formatTs(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  return `${seconds}.${fraction.toString().padStart(6, '0')}`;
}

/** The permalink form of a ts: `p` followed by the digits without the dot. */
export function permalinkId(ts: string): string {
  return `p${ts.replace('.', '')}`;
}

/** A ts as microseconds, for ordering and range checks; undefined when it isn't "<seconds>[.<up to 6 digits>]". */
export function tsMicros(ts: string): bigint | undefined {
  const match = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(ts);
  if (match === null) return undefined;
  return BigInt(match[1] ?? '0') * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}
