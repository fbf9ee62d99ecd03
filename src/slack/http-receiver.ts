import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import type { App, Receiver } from '@slack/bolt';
import { BodyTooLargeError, readRawBody, sendJson } from '../http/io.js';
import type { IncomingMessage, Route, ServerResponse } from '../http/server.js';
import type { Logger } from '../logger.js';
import type { InboundPort } from '../ports/store.js';

export const slackEventsPath = '/slack/events';
const maxBodyBytes = 256 * 1024;
/** Slack's replay window: a request older than this is refused. */
const maxAgeMs = 5 * 60_000;
/** Clocks differ a little; a request stamped further in the future than this is refused too. */
const maxAheadMs = 60_000;
/** Slack gives up on an answer after 3 s; answer in time whatever the listener is doing. */
const ackDeadlineMs = 2_500;

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

function parseBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    const form = parseQuery(text);
    if (typeof form.payload === 'string') return JSON.parse(form.payload) as Record<string, unknown>;
    return form as Record<string, unknown>;
  }
  return JSON.parse(text) as Record<string, unknown>;
}

type Kind = 'command' | 'event' | 'interaction';

function kindOf(body: Record<string, unknown>): Kind {
  if (typeof body.command === 'string') return 'command';
  if (body.type === 'event_callback') return 'event';
  return 'interaction';
}

/** What a person sees when Countersign answers for a listener that did not (it crashed, or is very slow). */
const unanswered = {
  failed: {
    response_type: 'ephemeral',
    text: ':warning: Countersign could not handle this command (an error on our side), so nothing was sent to OpenTrain. Try again; if it keeps happening, tell whoever runs Countersign.',
  },
  slow: {
    response_type: 'ephemeral',
    text: ':hourglass_flowing_sand: Countersign is taking longer than usual to record this; its answer will follow here.',
  },
} as const;

/**
 * Slack's HTTP requests, verified and handed to Bolt. Every request is answered: a listener that acks gives
 * the answer; one that throws, or takes too long, gets a truthful one written here, so a request is never
 * dropped with an empty 200. Events are deduplicated by event id, so Slack's retries run nothing twice.
 */
export function createSlackHttpReceiver(options: {
  readonly signingSecret: string;
  readonly inbound: Pick<InboundPort, 'recordDelivery'>;
  readonly log: Logger;
  readonly now?: () => number;
  readonly businessNow: () => Date;
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
    const kind = kindOf(body);
    if (kind === 'event' && typeof body.event_id === 'string') {
      const fresh = await options.inbound.recordDelivery(
        `slack-event:${body.event_id}`,
        options.businessNow(),
      );
      if (!fresh) return sendJson(res, 200, {});
    }
    await dispatch(res, body, kind, verdict.signature, req.headers);
  }

  async function dispatch(
    res: ServerResponse,
    body: Record<string, unknown>,
    kind: Kind,
    signature: string,
    headers: IncomingMessage['headers'],
  ): Promise<void> {
    if (app === undefined) throw new Error('the Slack receiver was not initialised by Bolt');
    let answered = false;
    const answer = (status: number, payload: unknown) => {
      if (answered) return;
      answered = true;
      if (payload === undefined || payload === '') {
        res.writeHead(status).end();
      } else if (typeof payload === 'string') {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(payload);
      } else {
        sendJson(res, status, payload);
      }
    };
    const deadline = setTimeout(() => {
      options.log.warn({ kind }, 'a Slack listener did not answer in time; answered for it');
      answer(200, kind === 'command' ? unanswered.slow : undefined);
    }, ackDeadlineMs);
    const retry = headers['x-slack-retry-num'];
    const reason = headers['x-slack-retry-reason'];
    try {
      await app.processEvent({
        body,
        ack: async (response?: unknown) => answer(200, response),
        retryNum: typeof retry === 'string' ? Number(retry) : undefined,
        retryReason: typeof reason === 'string' ? reason : undefined,
        customProperties: { requestSignature: signature },
      });
    } catch (error) {
      options.log.error({ err: error, kind }, 'a Slack listener failed');
    } finally {
      clearTimeout(deadline);
    }
    // A listener that returned or threw without answering: a command gets a truthful answer; an event (already
    // recorded as seen, and idempotent: opening App Home) and a click need nothing more.
    answer(200, kind === 'command' ? unanswered.failed : undefined);
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
