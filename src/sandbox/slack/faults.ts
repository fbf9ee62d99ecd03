import { z } from 'zod';

/**
 * A failure to play on the next matching request(s). The sandbox UI posts these as JSON, so they are parsed.
 * `method` picks the Web API method (any method when omitted, never a response_url unless named); `times` how many
 * matching calls it hits (default 1). What each part does, and whether Slack has applied the call when the client
 * hears back (or gives up):
 * - `latencyMs` holds the request this long *before* anything happens, then plays the rest of the fault or the
 *   real answer. Nothing is applied while the client waits: a client that times out meanwhile posted nothing
 *   (the call is still applied afterwards, as Slack would once it got to it, unless another part refuses it).
 * - `lateMs` applies the call at once (Slack has committed it: the post is in `messages()`, in
 *   conversations.history and in `metadataTally()`), then holds the answer this long. A client whose timeout is
 *   shorter gives up on a post that landed: "a post recorded by Slack whose answer comes 100 ms later".
 *   (`calls` lists a call once it is answered, so the call shows up there only after `lateMs`.)
 * - `status` 429 answers with `Retry-After: retryAfter` (default 1 s) like Slack; another status answers with that
 *   status. Neither applies the call.
 * - `error` answers HTTP 200 `{ok:false, error}` (a platform error such as `ratelimited` or `internal_error`)
 *   without applying the call.
 * - `drop: 'reset'` destroys the connection without an answer and without applying the call;
 *   `'reset-after-apply'` applies it first (the post lands, the client never hears so); with `lateMs` the
 *   connection is cut that long after the call was applied.
 * `latencyMs` combines with any of the others; `lateMs` only with an applied call (alone or with
 * `'reset-after-apply'`); `status`, `error` and `drop` exclude each other.
 */
export const FaultSpec = z
  .object({
    method: z.string().min(1).optional(),
    times: z.number().int().positive().default(1),
    status: z.number().int().min(400).max(599).optional(),
    retryAfter: z.number().int().nonnegative().optional(),
    error: z.string().min(1).optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    lateMs: z.number().int().positive().optional(),
    drop: z.enum(['reset', 'reset-after-apply']).optional(),
  })
  .refine(
    (spec) => [spec.status, spec.error, spec.drop].filter((part) => part !== undefined).length <= 1,
    'choose at most one of status, error and drop',
  )
  .refine(
    (spec) =>
      spec.lateMs === undefined ||
      (spec.status === undefined && spec.error === undefined && spec.drop !== 'reset'),
    'lateMs answers late after applying the call; status, error and drop "reset" never apply it',
  );
export type FaultSpecInput = z.input<typeof FaultSpec>;
export type Fault = Omit<z.output<typeof FaultSpec>, 'times'>;

interface ArmedFault {
  fault: Fault;
  remaining: number;
}

export interface Faults {
  inject(spec: FaultSpecInput): void;
  /** The fault to play on this call, if any; each call matched uses up one of the fault's `times`. */
  take(method: string): Fault | undefined;
  clear(): void;
  pending(): Array<Fault & { remaining: number }>;
}

/** The pseudo-method for POSTs to a minted response_url; a fault reaches it only when named explicitly. */
export const responseUrlMethod = 'response_url';

export function createFaults(onChange: () => void): Faults {
  let armed: ArmedFault[] = [];

  function matches(fault: Fault, method: string): boolean {
    if (fault.method === undefined) return method !== responseUrlMethod;
    return fault.method === method;
  }

  return {
    inject(spec) {
      const { times, ...fault } = FaultSpec.parse(spec);
      armed.push({ fault, remaining: times });
      onChange();
    },
    take(method) {
      const match = armed.find((candidate) => matches(candidate.fault, method));
      if (match === undefined) return undefined;
      match.remaining -= 1;
      if (match.remaining === 0) armed = armed.filter((candidate) => candidate !== match);
      return match.fault;
    },
    clear() {
      armed = [];
      onChange();
    },
    pending: () => armed.map((candidate) => ({ ...candidate.fault, remaining: candidate.remaining })),
  };
}
