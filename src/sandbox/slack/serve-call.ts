import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../../clock.js';
import type { Fault, Faults } from './faults.js';
import { sendJson } from './http-io.js';
import type { RateLimits } from './rate-limits.js';
import type { Recorder } from './recorder.js';
import type { ApiCallResponse } from './types.js';

export interface ServeDeps {
  clock: Clock;
  faults: Faults;
  rateLimits: RateLimits;
  recorder: Recorder;
  /** The conversation a call is about, for per-channel rate limits (a user id means the bot's DM). */
  channelOf(args: Record<string, unknown>): string | undefined;
  /** Aborted on close(), so injected latency doesn't hold a closing server open. */
  shutdown: AbortSignal;
}

export type Answer = Omit<ApiCallResponse, 'headers'> & {
  headers?: Record<string, string>;
  /** Arguments as the handler understood them, when they are richer than the raw decode. */
  args?: Record<string, unknown>;
};

/** Status 0 means "destroy the connection instead of answering". */
const reset = (body: string): Answer => ({ status: 0, headers: {}, body });

/** Slack always says how long to back off; WebClient needs the header to raise WebAPIRateLimitedError. */
const tooManyRequests = (retryAfterSec: number): Answer => ({
  status: 429,
  body: { ok: false, error: 'ratelimited' },
  headers: { 'retry-after': String(retryAfterSec) },
});

/** The answer of a fault that refuses the call without applying it, if this one does. */
function refusal(fault: Fault | undefined): Answer | undefined {
  if (fault?.drop === 'reset') return reset('connection reset (injected fault)');
  if (fault?.status === 429) return tooManyRequests(fault.retryAfter ?? 1);
  if (fault?.status !== undefined) {
    const error = fault.status >= 500 ? 'internal_error' : 'invalid_request';
    return { status: fault.status, body: { ok: false, error } };
  }
  if (fault?.error !== undefined) return { status: 200, body: { ok: false, error: fault.error } };
  return undefined;
}

/** Waits, unless the fake closes meanwhile; answers whether there is still someone to answer. */
async function hold(deps: ServeDeps, ms: number): Promise<boolean> {
  await delay(ms, undefined, { signal: deps.shutdown }).catch(() => {});
  return !deps.shutdown.aborted;
}

/**
 * Plays any armed fault for `method`, else the rate limit, else computes the real answer; records the call either
 * way. The order is Slack's: a call counts as made when it arrives, `latencyMs` holds it before anything happens,
 * an applied call (`compute`) may still answer late (`lateMs`) or lose its answer (`reset-after-apply`).
 */
export async function serveCall(
  deps: ServeDeps,
  exchange: { req: IncomingMessage; res: ServerResponse },
  method: string,
  args: Record<string, unknown>,
  compute: () => Answer,
): Promise<void> {
  const at = deps.clock.now();
  const channel = deps.channelOf(args);
  deps.rateLimits.noteArrival(method, channel);
  const fault = deps.faults.take(method);
  if (fault?.latencyMs !== undefined && !(await hold(deps, fault.latencyMs))) return;
  const refused = refusal(fault);
  if (refused?.status === 429) deps.rateLimits.announce(method, fault?.retryAfter ?? 1);
  const retryAfter = refused === undefined ? deps.rateLimits.take(method, channel) : undefined;
  let answer = refused ?? (retryAfter === undefined ? undefined : tooManyRequests(retryAfter));
  let open = true;
  if (answer === undefined) {
    answer = compute();
    if (fault?.lateMs !== undefined) open = await hold(deps, fault.lateMs);
    if (fault?.drop === 'reset-after-apply')
      answer = { ...reset('connection reset after applying (injected fault)'), args: answer.args ?? args };
  }
  const response: ApiCallResponse = {
    status: answer.status,
    headers: answer.headers ?? {},
    body: answer.body,
  };
  deps.recorder.record({
    method,
    args: answer.args ?? args,
    at,
    response,
    ...(fault === undefined ? {} : { fault }),
    ...(retryAfter === undefined ? {} : { rateLimited: true as const }),
  });
  // The fake closed while the answer was held back: its socket is gone, so there is no one left to answer.
  if (!open) return;
  if (answer.status === 0) exchange.req.socket.destroy();
  else sendJson(exchange.res, answer.status, answer.body, answer.headers);
}
