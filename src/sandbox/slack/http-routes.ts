import type { IncomingMessage, ServerResponse } from 'node:http';
import { responseUrlMethod } from './faults.js';
import { decodeApiRequest, readBody, sendJson } from './http-io.js';
import type { ResponseUrls } from './response-url.js';
import { type Answer, type ServeDeps, serveCall } from './serve-call.js';
import { answerApiCall, type IssuedTokens } from './web-api.js';
import { type ApiDeps, toSlackMessage } from './web-api-support.js';

export interface RouterDeps extends ServeDeps {
  api: ApiDeps;
  tokens: IssuedTokens;
  responseUrls: ResponseUrls;
  /** The path the fake is mounted under ('' when it owns its server). */
  pathPrefix(): string;
}

export function createRouter(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const serve = (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    args: Record<string, unknown>,
    compute: () => Answer,
  ) => serveCall(deps, { req, res }, method, args, compute);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://slack-fake.invalid');
    const prefix = deps.pathPrefix();
    const path =
      prefix !== '' && url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    if (path.startsWith('/api/')) {
      const method = decodeURIComponent(path.slice('/api/'.length));
      const request = decodeApiRequest(req, await readBody(req), url.searchParams);
      const args = request.ok ? request.args : {};
      await serve(req, res, method, args, () => ({
        status: 200,
        body: answerApiCall(method, request, deps.api, deps.tokens),
      }));
      return;
    }
    if (path.startsWith('/respond/') && req.method === 'POST') {
      const token = path.slice('/respond/'.length);
      const rawBody = await readBody(req);
      const args = rawJsonObject(rawBody);
      await serve(req, res, responseUrlMethod, args, () => deps.responseUrls.answer(token, rawBody));
      return;
    }
    const permalink = req.method === 'GET' ? path.match(/^\/archives\/([^/]+)\/p(\d{7,})$/) : null;
    if (permalink !== null) {
      const [, channel = '', digits = ''] = permalink;
      const ts = `${digits.slice(0, -6)}.${digits.slice(-6)}`;
      const message = deps.api.conversations.find(channel, ts);
      if (message === undefined) sendJson(res, 404, { ok: false, error: 'message_not_found' });
      else
        sendJson(res, 200, { ok: true, channel, ts, message: toSlackMessage(message, deps.api.workspace) });
      return;
    }
    sendJson(res, 404, { ok: false, error: 'not_found' });
  }

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { ok: false, error: 'fake_crashed', detail: String(error) });
    });
  };
}

function rawJsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
