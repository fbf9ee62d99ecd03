/**
 * Slack's rate limits, kept from this side. Slack limits each method per workspace (chat.postMessage per
 * channel) and, past the limit, answers 429 with how long to wait. So, per method (per channel for posts):
 * - one call at a time, the next once the one before is answered: reaching the limit costs one 429, never one
 *   per call in flight. One at a time is still well above every allowance Countersign meets (Tier 4 is about
 *   two calls a second; one call takes a tenth to a third of a second);
 * - after a 429 nothing is sent until its Retry-After has passed, by any caller: the call is refused here, unsent;
 * - for `calmMs` after a 429, background calls (countdown refreshes, lapses nobody acted on) are refused too: the
 *   allowance is kept for the edits people wait on;
 * - for the same time, posts to a channel that was answered 429 go a second apart, the rate Slack allows one
 *   channel: a queue of cards for a busy channel then lands one a second without a 429 for each.
 */
export interface Pacer {
  /** Waits for the call's turn; `held` (with how long) when it may not be sent now. */
  admit(key: string, options?: { background?: boolean }): Promise<Admission>;
}

export type Admission =
  | { readonly kind: 'go'; readonly done: (answer?: { retryAfterMs?: number }) => void }
  | { readonly kind: 'held'; readonly waitMs: number };

interface KeyState {
  heldUntil: number;
  calmFrom: number;
  /** When the last call was let go (for the spacing of posts to a channel after a 429). */
  lastGoAt: number;
  busy: boolean;
  readonly waiters: (() => void)[];
}

/** The pace key of a Slack call: chat.postMessage is limited per channel, everything else per method. */
export function paceKey(method: string, channel?: string): string {
  return method === 'chat.postMessage' && channel !== undefined ? `${method} ${channel}` : method;
}

/** Slack's allowance for posts to one channel: about one a second, after a short burst. */
const channelPostSpacingMs = 1_000;

function spacingOf(key: string): number {
  return key.startsWith('chat.postMessage ') ? channelPostSpacingMs : 0;
}

export function createPacer(options: { now: () => number; calmMs?: number }): Pacer {
  const { now } = options;
  const calmMs = options.calmMs ?? 60_000;
  const states = new Map<string, KeyState>();

  function state(key: string): KeyState {
    let existing = states.get(key);
    if (existing === undefined) {
      existing = { heldUntil: 0, calmFrom: 0, lastGoAt: Number.NEGATIVE_INFINITY, busy: false, waiters: [] };
      states.set(key, existing);
    }
    return existing;
  }

  function answered(key: string, entry: KeyState, retryAfterMs: number | undefined): void {
    if (retryAfterMs !== undefined) {
      entry.heldUntil = Math.max(entry.heldUntil, now() + retryAfterMs);
      entry.calmFrom = Math.max(entry.calmFrom, entry.heldUntil + calmMs);
    }
    entry.busy = false;
    // The next in line looks again: refused at once while held, it wakes the one after it.
    const next = entry.waiters.shift();
    if (next !== undefined) next();
    else if (now() >= entry.calmFrom) states.delete(key);
  }

  async function admit(key: string, admitOptions: { background?: boolean } = {}): Promise<Admission> {
    const entry = state(key);
    for (;;) {
      const at = now();
      if (at < entry.heldUntil) {
        entry.waiters.shift()?.();
        return { kind: 'held', waitMs: entry.heldUntil - at };
      }
      if (admitOptions.background === true && at < entry.calmFrom) {
        return { kind: 'held', waitMs: entry.calmFrom - at };
      }
      const spacedUntil = at < entry.calmFrom ? entry.lastGoAt + spacingOf(key) : 0;
      if (at < spacedUntil) {
        entry.waiters.shift()?.();
        return { kind: 'held', waitMs: spacedUntil - at };
      }
      if (!entry.busy) {
        entry.busy = true;
        entry.lastGoAt = at;
        let once = false;
        return {
          kind: 'go',
          done: (answer) => {
            if (once) return;
            once = true;
            answered(key, entry, answer?.retryAfterMs);
          },
        };
      }
      await new Promise<void>((resolve) => entry.waiters.push(resolve));
    }
  }

  return { admit };
}
