import { z } from 'zod';

/**
 * A failure to play on the next matching request(s). The sandbox UI posts these as JSON, so they are parsed.
 * - `status` 429 answers with `Retry-After: retryAfter` (default 1 s) like Slack; 5xx answers with that status.
 * - `error` answers HTTP 200 `{ok:false, error}` (a platform error such as `ratelimited` or `internal_error`).
 * - `latencyMs` delays the answer (alone, or before any of the above).
 * - `drop: 'reset'` destroys the connection without an answer and without applying the call;
 *   `'reset-after-apply'` applies it first (the post lands, the client never hears so), to exercise retries.
 */
export const FaultSpec = z
  .object({
    method: z.string().min(1).optional(),
    times: z.number().int().positive().default(1),
    status: z.number().int().min(400).max(599).optional(),
    retryAfter: z.number().int().nonnegative().optional(),
    error: z.string().min(1).optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    drop: z.enum(['reset', 'reset-after-apply']).optional(),
  })
  .refine(
    (spec) => [spec.status, spec.error, spec.drop].filter((part) => part !== undefined).length <= 1,
    'choose at most one of status, error and drop',
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
