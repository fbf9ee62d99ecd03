import { type DeliverDeps, deliver, type InboundResult, type SigningOverrides } from './deliver.js';
import type { EnvelopeType, SocketDeliveries } from './socket-envelopes.js';

/** How Slack reaches the app: signed HTTP requests to its Request URL, or envelopes over Socket Mode. */
export type Transport = 'http' | 'socket';

/** Per delivery: where the app listens over HTTP, and which transport to use (default: the fake's own). */
export interface TransportChoice extends SigningOverrides {
  /** The app's Request URL; needed for the HTTP transport only. Signing overrides apply to HTTP only. */
  appUrl?: string;
  transport?: Transport;
}

export interface TransportDeps extends DeliverDeps {
  transport: Transport;
  socket: SocketDeliveries;
}

/** One thing Slack sends, in both of its forms. */
export interface Outbound {
  type: EnvelopeType;
  /** The Socket Mode envelope's payload. */
  payload: Record<string, unknown>;
  /** The HTTP request body (form-encoded or JSON) carrying the same payload. */
  body: string;
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
  /** A redelivery: X-Slack-Retry-Num/-Reason over HTTP, retry_attempt/retry_reason over Socket Mode. */
  retry?: { attempt: number; reason: string };
}

/** Delivers `outbound` over the chosen transport; either way the result reads like Slack's view of the ack. */
export async function send(
  deps: TransportDeps,
  choice: TransportChoice,
  outbound: Outbound,
): Promise<InboundResult> {
  if ((choice.transport ?? deps.transport) === 'socket')
    return deps.socket.deliver(outbound.type, outbound.payload, outbound.retry);
  if (choice.appUrl === undefined) throw new Error('Slack fake: appUrl is required for the HTTP transport');
  const { retry } = outbound;
  return deliver(deps, {
    url: choice.appUrl,
    body: outbound.body,
    contentType: outbound.contentType,
    overrides: choice,
    extraHeaders:
      retry === undefined
        ? {}
        : { 'x-slack-retry-num': String(retry.attempt), 'x-slack-retry-reason': retry.reason },
  });
}
