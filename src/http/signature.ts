import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a signature's timestamp may be from our clock, either way (replays and skew). */
export const signatureToleranceMs = 5 * 60_000;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<raw body>">`, the scheme OpenTrain signs webhooks with. */
export function signBody(secret: string, body: string | Buffer, timestampSec: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex');
  return `t=${timestampSec},v1=${mac}`;
}

export type SignatureProblem = 'missing' | 'malformed' | 'stale' | 'mismatch';

/**
 * Checks a `t=…,v1=…` header against the raw bytes as received (never a re-serialised body). Constant-time
 * comparison; the timestamp must be within five minutes of `now`.
 */
export function verifyBody(
  secret: string,
  header: string | undefined,
  body: Buffer,
  now: Date,
): { ok: true; signature: string } | { ok: false; problem: SignatureProblem } {
  if (header === undefined || header === '') return { ok: false, problem: 'missing' };
  const parts = new Map<string, string[]>();
  for (const pair of header.split(',')) {
    const [key, ...value] = pair.trim().split('=');
    if (key === undefined || value.length === 0) continue;
    parts.set(key, [...(parts.get(key) ?? []), value.join('=')]);
  }
  const t = parts.get('t')?.[0];
  const candidates = parts.get('v1') ?? [];
  if (t === undefined || !/^\d{1,12}$/.test(t) || candidates.length === 0)
    return { ok: false, problem: 'malformed' };
  if (Math.abs(now.getTime() - Number(t) * 1_000) > signatureToleranceMs)
    return { ok: false, problem: 'stale' };
  const expected = Buffer.from(signBody(secret, body, Number(t)).split('v1=')[1] ?? '', 'hex');
  for (const candidate of candidates) {
    if (!/^[0-9a-f]+$/i.test(candidate)) continue;
    const given = Buffer.from(candidate, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      return { ok: true, signature: candidate.toLowerCase() };
    }
  }
  return { ok: false, problem: 'mismatch' };
}
