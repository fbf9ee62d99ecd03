import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import { sendJson } from './io.js';

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/** How long an idle client connection stays open; announced to clients in the Keep-Alive header. */
export const keepAliveTimeoutMs = 65_000;

/**
 * The service's one HTTP listener: Slack's events (in HTTP mode), health, metrics, the upstream API and the
 * OpenTrain webhook. Plain node:http with an exact-path table: nothing between a request and its handler.
 */
export async function listen(
  routes: readonly Route[],
  options: { port: number; host?: string; log: Logger },
): Promise<HttpServer> {
  const table = new Map(routes.map((route) => [`${route.method} ${route.path}`, route.handler]));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handler = table.get(`${req.method} ${path}`);
    if (handler === undefined) {
      const known = routes.some((route) => route.path === path);
      sendJson(res, known ? 405 : 404, { error: known ? 'method_not_allowed' : 'not_found' });
      return;
    }
    try {
      handler(req, res);
    } catch (error) {
      options.log.error({ err: error, path }, 'HTTP handler failed');
      sendJson(res, 500, { error: 'internal_error' });
    }
  });
  // Idle connections are kept longer than Node's 5 s (and than the 60 s idle timeout of common load
  // balancers), so Slack and a proxy in front reuse them: a request on a new connection waits at least two
  // turns of a busy event loop (Node accepts one connection per turn, then reads it in the next). A shutdown
  // does not wait for idle ones.
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.headersTimeout = keepAliveTimeoutMs + 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // In-flight requests get a moment to finish; the process exits regardless.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}

export type { IncomingMessage, ServerResponse };
