import { type Dispatcher, request } from 'undici';
import { signSlackRequest } from './signing.js';

/** Ways to make a delivery fail verification, for negative tests. */
export interface SigningOverrides {
  /** Sent as X-Slack-Signature instead of the real one (e.g. 'v0=bad'). */
  signature?: string;
  /** Signs with (and sends) this timestamp instead of now, e.g. a stale `now - 600`. */
  timestampSec?: number;
}

export interface InboundResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON when the app answered with JSON. */
  json: unknown;
  /** Why Slack would give up: no answer within the ack window, or no connection at all. */
  failure?: 'operation_timeout' | 'connection_failed';
  /** Over HTTP: the exact request sent (URL, headers, bytes), so a test can replay it unchanged (`replay`). */
  sent?: SentRequest;
}

/** One HTTP request exactly as it went out: replaying it sends the same bytes with the same signature. */
export interface SentRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Delivery {
  url: string;
  body: string;
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
  overrides: SigningOverrides;
  extraHeaders?: Record<string, string>;
}

export interface DeliverDeps {
  signingSecret: string;
  /** Slack's 3-second ack window. */
  ackTimeoutMs: number;
  dispatcher: Dispatcher;
}

/** POSTs one signed request to the app the way Slack does, giving up when the ack window closes. */
export async function deliver(deps: DeliverDeps, delivery: Delivery): Promise<InboundResult> {
  const { overrides } = delivery;
  const headers: Record<string, string> = {
    // Bolt compares the content type exactly, so no charset here, just like Slack.
    'content-type': delivery.contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...signSlackRequest(deps.signingSecret, delivery.body, overrides.timestampSec),
    ...(overrides.signature === undefined ? {} : { 'x-slack-signature': overrides.signature }),
    ...delivery.extraHeaders,
  };
  return post(deps, { url: delivery.url, headers, body: delivery.body });
}

/**
 * Sends a request exactly as given: a replay of one sent before (the same bytes, timestamp and signature, as
 * an attacker who captured it could), or a hand-built one. Slack's ack window applies as usual.
 */
export async function post(
  deps: Pick<DeliverDeps, 'ackTimeoutMs' | 'dispatcher'>,
  sent: SentRequest,
): Promise<InboundResult> {
  const signal = AbortSignal.timeout(deps.ackTimeoutMs);
  try {
    const response = await request(sent.url, {
      method: 'POST',
      headers: { ...sent.headers },
      body: sent.body,
      dispatcher: deps.dispatcher,
      signal,
    });
    const text = await response.body.text();
    const responseHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const isJson = (responseHeaders['content-type'] ?? '').includes('json');
    return {
      status: response.statusCode,
      headers: responseHeaders,
      body: text,
      json: isJson ? safeJson(text) : undefined,
      sent,
    };
  } catch (error) {
    return {
      status: 0,
      headers: {},
      body: error instanceof Error ? error.message : String(error),
      json: undefined,
      failure: signal.aborted ? 'operation_timeout' : 'connection_failed',
      sent,
    };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
