import { ApiError, badRequest } from './errors.js';
import type { SimState } from './state.js';
import type { WebhookDispatcher } from './webhook-delivery.js';

/** Everything a route handler may touch. */
export interface RouteContext {
  state: SimState;
  dispatcher: WebhookDispatcher;
  params: Record<string, string>;
  query: URLSearchParams;
  rawBody: string;
  contentType: string;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  /** Named groups become params, URI-decoded. */
  pattern: RegExp;
  handle(ctx: RouteContext): Reply | Promise<Reply>;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

export function route(method: string, pattern: RegExp, handle: Route['handle']): Route {
  return { method, pattern, handle };
}

/**
 * Finds the route for a path. An unknown path, and a known path with the wrong method, are both 404: the
 * documented code enum has no METHOD_NOT_ALLOWED.
 */
export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch | undefined {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(path);
    if (match === null) continue;
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(match.groups ?? {})) {
      try {
        params[key] = decodeURIComponent(value);
      } catch {
        throw badRequest(key, `Path parameter ${key} is not valid URI encoding.`);
      }
    }
    return { route: candidate, params };
  }
  return undefined;
}

/** Parses the body as JSON; an empty body counts as `{}` so optional bodies need no special casing. */
export function jsonBody(ctx: RouteContext): unknown {
  if (ctx.rawBody.trim() === '') return {};
  try {
    return JSON.parse(ctx.rawBody) as unknown;
  } catch {
    throw badRequest('body', 'Request body must be valid JSON.');
  }
}

export function routeNotFound(method: string, path: string): ApiError {
  return new ApiError(404, `No route for ${method} ${path}.`, { resource: 'route' });
}
