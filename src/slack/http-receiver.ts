import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import type { App, Receiver } from '@slack/bolt';
import { BodyTooLargeError, readRawBody, sendJson } from '../http/io.js';
import type { IncomingMessage, Route, ServerResponse } from '../http/server.js';
import type { Logger } from '../logger.js';
import type { InboundPort } from '../ports/store.js';
import { dispatch } from './dispatch.js';
import type { CommandHandler } from './listeners/commands/index.js';

export const slackEventsPath = '/slack/events';
const maxBodyBytes = 256 * 1024;
/** Slack's replay window: a request older than this is refused. */
const maxAgeMs = 5 * 60_000;
/** Clocks differ a little; a request stamped further in the future than this is refused too. */
const maxAheadMs = 60_000;

export interface SlackHttpReceiver extends Receiver {
  readonly route: Route;
}

type Verdict =
  | { ok: true; signature: string }
  | { ok: false; problem: 'missing' | 'stale' | 'future' | 'mismatch' };

/** Slack's v0 signature over "v0:<timestamp>:<raw body>", checked against real time. */
export function verifySlackSignature(
  secret: string,
  headers: IncomingMessage['headers'],
  body: Buffer,
  now: number,
): Verdict {
  const timestamp = headers['x-slack-request-timestamp'];
  const signature = headers['x-slack-signature'];
  if (typeof timestamp !== 'string' || typeof signature !== 'string' || !/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, problem: 'missing' };
  }
  const at = Number(timestamp) * 1_000;
  if (now - at > maxAgeMs) return { ok: false, problem: 'stale' };
  if (at - now > maxAheadMs) return { ok: false, problem: 'future' };
  const expected = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
  const given = Buffer.from(signature);
  const wanted = Buffer.from(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
    return { ok: false, problem: 'mismatch' };
  return { ok: true, signature };
}

/** Every Slack request is an object: a form, or JSON (an interaction's `payload`). Anything else is refused. */
function parseBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    const form = parseQuery(text);
    if (typeof form.payload !== 'string') return form as Record<string, unknown>;
    return asObject(JSON.parse(form.payload));
  }
  return asObject(JSON.parse(text));
}

function asObject(json: unknown): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SyntaxError('a Slack request body is a JSON object');
  }
  return json as Record<string, unknown>;
}

/** Bolt's ack: an object is JSON, a string is text, nothing is an empty 200. */
function respond(res: ServerResponse, payload: unknown): void {
  if (payload === undefined || payload === '') res.writeHead(200).end();
  else if (typeof payload === 'string')
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(payload);
  else sendJson(res, 200, payload);
}

/** Slack's HTTP requests, verified (signature, and a timestamp neither stale nor from the future), then dispatched. */
export function createSlackHttpReceiver(options: {
  readonly signingSecret: string;
  readonly inbound: Pick<InboundPort, 'recordDelivery'>;
  readonly log: Logger;
  readonly now?: () => number;
  readonly businessNow: () => Date;
  readonly onAnswered?: (command: string, seconds: number) => void;
  readonly commands?: ReadonlyMap<string, CommandHandler>;
}): SlackHttpReceiver {
  const now = options.now ?? Date.now;
  let app: App | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readRawBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'body_too_large' });
      throw error;
    }
    let body: Record<string, unknown>;
    try {
      body = parseBody(raw, req.headers['content-type']);
    } catch {
      return sendJson(res, 400, { error: 'invalid_body' });
    }
    // Slack's certificate check is the one request it does not sign.
    if (body.ssl_check === '1') return sendJson(res, 200, {});
    const verdict = verifySlackSignature(options.signingSecret, req.headers, raw, now());
    if (!verdict.ok) {
      options.log.warn({ problem: verdict.problem }, 'Slack request refused: bad signature');
      return sendJson(res, 401, { error: 'invalid_signature', problem: verdict.problem });
    }
    if (body.type === 'url_verification') return sendJson(res, 200, { challenge: body.challenge });
    if (app === undefined) throw new Error('the Slack receiver was not initialised by Bolt');
    const retry = req.headers['x-slack-retry-num'];
    const reason = req.headers['x-slack-retry-reason'];
    await dispatch(
      app,
      {
        body,
        answer: (payload) => respond(res, payload),
        ...(typeof retry === 'string' ? { retryNum: Number(retry) } : {}),
        ...(typeof reason === 'string' ? { retryReason: reason } : {}),
        requestId: verdict.signature,
      },
      {
        inbound: options.inbound,
        log: options.log,
        now: options.businessNow,
        onAnswered: options.onAnswered,
        ...(options.commands === undefined ? {} : { commands: options.commands }),
      },
    );
  }

  return {
    route: {
      method: 'POST',
      path: slackEventsPath,
      handler: (req, res) => {
        handle(req, res).catch((error: unknown) => {
          options.log.error({ err: error }, 'Slack request failed');
          sendJson(res, 500, { error: 'internal_error' });
        });
      },
    },
    init(bolt) {
      app = bolt;
    },
    async start() {
      return undefined;
    },
    async stop() {
      return undefined;
    },
  };
}
