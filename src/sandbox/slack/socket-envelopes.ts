import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { InboundResult } from './deliver.js';
import type { SocketServer } from './socket-server.js';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** One envelope the fake sent over Socket Mode, and what became of it. */
export interface SocketDelivery {
  envelopeId: string;
  type: EnvelopeType;
  /** events_api only: 0 for the first delivery, then 1, 2, 3 for Slack's redeliveries. */
  retryAttempt?: number;
  retryReason?: string;
  connectionId?: string;
  sentAt: Date;
  /** `timeout`: no ack within the ack window; `no_connection`: the app had no socket open to send it on. */
  outcome: 'pending' | 'acked' | 'timeout' | 'no_connection';
  ackedAt?: Date;
  /** What the ack carried (`{envelope_id, payload}`), e.g. a slash command's immediate reply. */
  ackPayload?: unknown;
  /** An ack that came after the window closed; Slack ignores those, and so does the fake. */
  lateAck?: boolean;
}

export interface SocketDeliveries {
  /** Sends one envelope and resolves when it is acked or given up on, like an HTTP delivery. */
  deliver(type: EnvelopeType, payload: Record<string, unknown>, retry?: Retry): Promise<InboundResult>;
  /** Everything an app sends on a socket: acks, and anything else (ignored). */
  onMessage(connectionId: string, text: string): void;
  deliveries(): SocketDelivery[];
  /** Forgets the log of deliveries; envelopes still waiting for an ack keep waiting. */
  clearLog(): void;
  close(): void;
}

interface Retry {
  attempt: number;
  reason: string;
}

interface Pending {
  delivery: SocketDelivery;
  finish(result: InboundResult): void;
  timer: NodeJS.Timeout;
}

const Ack = z.object({ envelope_id: z.string().min(1), payload: z.unknown().optional() });

function failed(failure: 'operation_timeout' | 'connection_failed'): InboundResult {
  return { status: 0, headers: {}, body: '', json: undefined, failure };
}

/** An ack reads like an HTTP 200 whose body is the ack's payload; an empty payload is an empty body. */
function acked(payload: unknown): InboundResult {
  const empty =
    payload === undefined ||
    (payload !== null && typeof payload === 'object' && Object.keys(payload).length === 0);
  if (empty) return { status: 200, headers: {}, body: '', json: undefined };
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    json: payload,
  };
}

/**
 * Slack's envelope protocol over the sockets of `server`. An envelope not acked within `ackTimeoutMs` is a failed
 * delivery; Slack redelivers an events_api envelope (a new envelope, the same event) with `retry_attempt` + 1 and
 * `retry_reason: 'timeout'` after each of `retryDelaysMs`, and gives slash commands and interactions up.
 */
export function createSocketDeliveries(deps: {
  server: SocketServer;
  clock: Clock;
  ackTimeoutMs: number;
  retryDelaysMs: readonly number[];
  onChange(): void;
}): SocketDeliveries {
  let log: SocketDelivery[] = [];
  const pending = new Map<string, Pending>();
  const retries = new Set<NodeJS.Timeout>();

  function redeliverLater(type: EnvelopeType, payload: Record<string, unknown>, attempt: number): void {
    const delayMs = deps.retryDelaysMs[attempt];
    if (type !== 'events_api' || delayMs === undefined) return;
    const timer = setTimeout(() => {
      retries.delete(timer);
      void deliver(type, payload, { attempt: attempt + 1, reason: 'timeout' });
    }, delayMs);
    timer.unref();
    retries.add(timer);
  }

  function deliver(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    retry?: Retry,
  ): Promise<InboundResult> {
    const attempt = retry?.attempt ?? 0;
    const events = type === 'events_api' ? { retry_attempt: attempt, retry_reason: retry?.reason ?? '' } : {};
    const envelopeId = randomUUID();
    const delivery: SocketDelivery = {
      envelopeId,
      type,
      ...(type === 'events_api' ? { retryAttempt: attempt, retryReason: retry?.reason ?? '' } : {}),
      sentAt: deps.clock.now(),
      outcome: 'pending',
    };
    log.push(delivery);
    const connectionId = deps.server.pick();
    const envelope = {
      envelope_id: envelopeId,
      payload,
      type,
      accepts_response_payload: type === 'slash_commands',
    };
    if (connectionId === undefined || !deps.server.send(connectionId, { ...envelope, ...events })) {
      delivery.outcome = 'no_connection';
      deps.onChange();
      redeliverLater(type, payload, attempt);
      return Promise.resolve(failed('connection_failed'));
    }
    delivery.connectionId = connectionId;
    deps.onChange();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(envelopeId);
        delivery.outcome = 'timeout';
        deps.onChange();
        redeliverLater(type, payload, attempt);
        resolve(failed('operation_timeout'));
      }, deps.ackTimeoutMs);
      pending.set(envelopeId, { delivery, finish: resolve, timer });
    });
  }

  function onMessage(_connectionId: string, text: string): void {
    let parsed: z.ZodSafeParseResult<z.output<typeof Ack>>;
    try {
      parsed = Ack.safeParse(JSON.parse(text));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const { envelope_id: envelopeId, payload } = parsed.data;
    const waiting = pending.get(envelopeId);
    if (waiting === undefined) {
      const late = log.find(
        (delivery) => delivery.envelopeId === envelopeId && delivery.outcome === 'timeout',
      );
      if (late !== undefined) late.lateAck = true;
      deps.onChange();
      return;
    }
    clearTimeout(waiting.timer);
    pending.delete(envelopeId);
    Object.assign(waiting.delivery, {
      outcome: 'acked',
      ackedAt: deps.clock.now(),
      ...(payload === undefined ? {} : { ackPayload: payload }),
    });
    deps.onChange();
    waiting.finish(acked(payload));
  }

  return {
    deliver,
    onMessage,
    deliveries: () => structuredClone(log),
    clearLog() {
      log = [];
    },
    close() {
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      for (const waiting of pending.values()) {
        clearTimeout(waiting.timer);
        waiting.finish(failed('connection_failed'));
      }
      pending.clear();
    },
  };
}
