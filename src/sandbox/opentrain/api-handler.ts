import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errorEnvelope } from './errors.js';
import { type FaultBook, faultReply } from './faults.js';
import { readBody, sendJson } from './http-io.js';
import { matchRoute, type Reply, type Route, routeNotFound } from './router.js';
import { paymentRoutes } from './routes-payments.js';
import { readRoutes } from './routes-reads.js';
import { webhookRoutes } from './routes-webhooks.js';
import type { SimState } from './state.js';
import type { RequestLogEntry } from './types.js';
import type { WebhookDispatcher } from './webhook-delivery.js';

export const apiBasePath = '/api/public/v1';

const apiRoutes: readonly Route[] = [...paymentRoutes, ...readRoutes, ...webhookRoutes];

export interface ApiHandlerDeps {
  state: SimState;
  dispatcher: WebhookDispatcher;
  faults: FaultBook;
  token: string;
  log(entry: RequestLogEntry): void;
  /** Waits on real time; resolves false when the simulator closed meanwhile. */
  delay(ms: number): Promise<boolean>;
  /** Keeps a response open until close(). */
  hang(res: ServerResponse): void;
}

function bearerToken(req: IncomingMessage): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] ?? null;
}

/** The real answer: route, then token, then the handler; every failure becomes the error envelope. */
async function answer(
  deps: ApiHandlerDeps,
  req: IncomingMessage,
  call: { method: string; path: string; query: URLSearchParams; requestId: string },
): Promise<Reply> {
  try {
    const match = matchRoute(apiRoutes, call.method, call.path);
    if (match === undefined) throw routeNotFound(call.method, call.path);
    const rawBody = await readBody(req);
    if (bearerToken(req) !== deps.token) throw new ApiError(401, 'Missing or invalid API token.');
    return await match.route.handle({
      state: deps.state,
      dispatcher: deps.dispatcher,
      params: match.params,
      query: call.query,
      rawBody,
      contentType: req.headers['content-type'] ?? '',
    });
  } catch (err) {
    if (err instanceof ApiError) {
      return {
        status: err.status,
        body: errorEnvelope(err.status, err.message, err.details, call.requestId),
      };
    }
    const message = err instanceof Error ? err.message : String(err);
    return { status: 500, body: errorEnvelope(500, `Simulator bug: ${message}`, undefined, call.requestId) };
  }
}

/** Handles one request under /api/public/v1; `path` is what follows the base path. */
export function createApiHandler(
  deps: ApiHandlerDeps,
): (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => Promise<void> {
  return async (req, res, path, query) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const requestId = randomUUID();
    const entry: RequestLogEntry = {
      method,
      path,
      query: query.toString(),
      status: null,
      at: deps.state.nowIso(),
      requestId,
      fault: null,
    };
    // Faults act before anything else, like a proxy or the network in front of the real API.
    const fault = deps.faults.take(method, path);
    if (fault?.latencyMs !== undefined && fault.latencyMs > 0) {
      entry.fault = 'latency';
      if (!(await deps.delay(fault.latencyMs))) {
        res.destroy();
        deps.log(entry);
        return;
      }
    }
    if (fault?.drop !== undefined) {
      entry.fault = fault.drop;
      deps.log(entry);
      if (fault.drop === 'reset') req.socket.destroy();
      else deps.hang(res);
      return;
    }
    let reply: Reply;
    if (fault?.status !== undefined) {
      entry.fault = 'status';
      reply = faultReply({ ...fault, status: fault.status }, requestId);
    } else {
      reply = await answer(deps, req, { method, path, query, requestId });
      if (fault?.rewrite !== undefined) {
        entry.fault = 'rewrite';
        reply = { ...reply, body: fault.rewrite(structuredClone(reply.body)) };
      }
    }
    entry.status = reply.status;
    if (fault?.lateMs !== undefined && fault.lateMs > 0) {
      entry.fault ??= 'late';
      if (!(await deps.delay(fault.lateMs))) {
        res.destroy();
        deps.log(entry);
        return;
      }
    }
    sendJson(res, reply.status, reply.body, reply.headers);
    deps.log(entry);
  };
}
