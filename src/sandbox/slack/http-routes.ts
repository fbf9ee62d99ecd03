import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { type Faults, responseUrlMethod } from './faults.js';
import { decodeApiRequest, readBody, sendJson } from './http-io.js';
import type { Recorder } from './recorder.js';
import type { ResponseUrls } from './response-url.js';
import type { ApiCallResponse } from './types.js';
import { answerApiCall } from './web-api.js';
import { type ApiDeps, toSlackMessage } from './web-api-support.js';

export interface RouterDeps {
  api: ApiDeps;
  botToken: string;
  faults: Faults;
  recorder: Recorder;
  responseUrls: ResponseUrls;
  /** The path the fake is mounted under ('' when it owns its server). */
  pathPrefix(): string;
  /** Aborted on close(), so injected latency doesn't hold a closing server open. */
  shutdown: AbortSignal;
}

type Answer = Omit<ApiCallResponse, 'headers'> & {
  headers?: Record<string, string>;
  /** Arguments as the handler understood them, when they are richer than the raw decode. */
  args?: Record<string, unknown>;
};

export function createRouter(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  /** Plays any armed fault for `method`, otherwise computes the real answer; records the call either way. */
  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    args: Record<string, unknown>,
    compute: () => Answer,
  ): Promise<void> {
    const at = deps.api.clock.now();
    const fault = deps.faults.take(method);
    if (fault?.latencyMs !== undefined) {
      await delay(fault.latencyMs, undefined, { signal: deps.shutdown }).catch(() => {});
      // The fake closed while this call was held back: its socket is gone, so there is no one left to answer.
      if (deps.shutdown.aborted) return;
    }
    let answer: Answer;
    if (fault?.drop === 'reset') {
      answer = { status: 0, body: 'connection reset (injected fault)' };
    } else if (fault?.status === 429) {
      // Slack always says how long to back off; WebClient needs the header to raise WebAPIRateLimitedError.
      answer = {
        status: 429,
        body: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(fault.retryAfter ?? 1) },
      };
    } else if (fault?.status !== undefined) {
      answer = {
        status: fault.status,
        body: { ok: false, error: fault.status >= 500 ? 'internal_error' : 'invalid_request' },
      };
    } else if (fault?.error !== undefined) {
      answer = { status: 200, body: { ok: false, error: fault.error } };
    } else {
      answer = compute();
      if (fault?.drop === 'reset-after-apply') {
        answer = {
          ...answer,
          status: 0,
          headers: {},
          body: 'connection reset after applying (injected fault)',
        };
      }
    }
    const response: ApiCallResponse = {
      status: answer.status,
      headers: answer.headers ?? {},
      body: answer.body,
    };
    deps.recorder.record({ method, args: answer.args ?? args, at, response });
    if (answer.status === 0) req.socket.destroy();
    else sendJson(res, answer.status, answer.body, answer.headers);
  }

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
        body: answerApiCall(method, request, deps.api, deps.botToken),
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
