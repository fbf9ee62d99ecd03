import { errorEnvelope } from './errors.js';

/** A scripted misbehaviour for the next matching API request(s). */
export interface Fault {
  /** Any method when omitted; compared case-insensitively. */
  method?: string;
  /** Matched against the path after /api/public/v1 (no query string): a string must equal it. */
  path?: string | RegExp;
  /** How many requests it hits before it is used up; default 1, Infinity allowed. */
  times?: number;
  /** Answer with this status instead of the real handler. */
  status?: number;
  /** Replaces the default error envelope for `status`. */
  body?: object;
  /** Seconds; sets Retry-After. */
  retryAfter?: number;
  /** Waits this long before answering (or before the real answer when there is no status). */
  latencyMs?: number;
  /**
   * Handles the request at once (OpenTrain commits it), then waits this long before sending the answer: a
   * client that gives up meanwhile never learns what was recorded.
   */
  lateMs?: number;
  /** 'reset' destroys the socket; 'hang' never answers (until close()). */
  drop?: 'reset' | 'hang';
  /**
   * Handles the request for real (OpenTrain commits it), then answers with what this returns for the real
   * answer's JSON body, with the real status: an answer about another approval or milestone, a link on
   * another host. Called with a copy, so it may change it in place and return it. From code only: the JSON
   * controls (/_sim/faults) cannot carry a function. Ignored with `status` or `drop`.
   */
  rewrite?: (body: unknown) => unknown;
}

export interface FaultBook {
  add(fault: Fault): void;
  clear(): void;
  /** The first matching fault, using up one of its `times`. */
  take(method: string, path: string): Fault | undefined;
  readonly active: readonly Fault[];
}

interface ArmedFault {
  fault: Fault;
  remaining: number;
}

function matches(fault: Fault, method: string, path: string): boolean {
  if (fault.method !== undefined && fault.method.toUpperCase() !== method) return false;
  if (fault.path === undefined) return true;
  if (typeof fault.path === 'string') return fault.path === path;
  fault.path.lastIndex = 0; // a /g or /y pattern would otherwise remember where it stopped
  return fault.path.test(path);
}

export function createFaultBook(onChange: () => void): FaultBook {
  let armed: ArmedFault[] = [];
  return {
    add(fault) {
      const remaining = fault.times ?? 1;
      if (!(remaining > 0)) throw new RangeError('fault.times must be positive');
      armed.push({ fault: { ...fault }, remaining });
      onChange();
    },
    clear() {
      armed = [];
      onChange();
    },
    take(method, path) {
      const hit = armed.find((a) => matches(a.fault, method, path));
      if (hit === undefined) return undefined;
      hit.remaining -= 1;
      if (hit.remaining <= 0) armed = armed.filter((a) => a !== hit);
      onChange();
      return hit.fault;
    },
    get active() {
      return armed.map((a) => ({ ...a.fault, times: a.remaining }));
    },
  };
}

export interface FaultReply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/**
 * The canned answer for a fault with a status. The real API's rate limits, Retry-After and 429 details are all
 * undocumented (Gap 2): Retry-After is sent only when the fault asks for it, and the 429 has no details.
 */
export function faultReply(fault: Fault & { status: number }, requestId: string): FaultReply {
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  const body = fault.body ?? errorEnvelope(fault.status, undefined, undefined, requestId);
  return { status: fault.status, body, headers };
}
