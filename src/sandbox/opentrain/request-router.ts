import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiBasePath } from './api-handler.js';
import { renderApprovalPage } from './approval-page.js';
import { errorEnvelope } from './errors.js';
import { sendHtml, sendJson } from './http-io.js';
import { controlBasePath } from './sim-controls.js';
import type { SimState } from './state.js';

type SubHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
) => Promise<void>;

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/**
 * Splits the simulator's origin into its three surfaces: the API under /api/public/v1, the controls under
 * /_sim, and the approval page at /approvals/{id} (where approvalUrl points, outside the API like the real app).
 */
export function createRequestHandler(parts: {
  state: SimState;
  api: SubHandler;
  controls: SubHandler;
}): RequestHandler {
  async function route(req: IncomingMessage, res: ServerResponse, next?: () => void): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const path = url.pathname;
    if (path === apiBasePath || path.startsWith(`${apiBasePath}/`)) {
      await parts.api(req, res, path.slice(apiBasePath.length) || '/', url.searchParams);
      return;
    }
    if (path.startsWith(`${controlBasePath}/`)) {
      await parts.controls(req, res, path.slice(controlBasePath.length), url.searchParams);
      return;
    }
    const page = /^\/approvals\/([^/]+)$/.exec(path);
    if (page?.[1] !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      const { status, html } = renderApprovalPage(parts.state, safeDecode(page[1]), {
        done: url.searchParams.get('done'),
        error: url.searchParams.get('error'),
      });
      sendHtml(res, status, html);
      return;
    }
    if (next !== undefined) {
      next();
      return;
    }
    const message = `No route for ${req.method ?? 'GET'} ${path}.`;
    sendJson(res, 404, errorEnvelope(404, message, { resource: 'route' }));
  }

  return (req, res, next) => {
    route(req, res, next).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = `Simulator bug: ${err instanceof Error ? err.message : String(err)}`;
      sendJson(res, 500, errorEnvelope(500, message));
    });
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
