import { createHmac, randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import type { SimState } from './state.js';
import type { EventRecord, EventType } from './types.js';
import { disableWebhook } from './webhooks.js';

export interface DeliveryAttempt {
  attempt: number;
  /** Simulated time of the attempt. */
  at: string;
  /** The receiver's status, or null when it never answered (refused, reset, timed out). */
  status: number | null;
  ok: boolean;
  error: string | null;
  signature: string;
}

export interface DeliveryRecord {
  /** X-OpenTrain-Delivery: one per delivery, reused by its retries. */
  id: string;
  webhookId: string;
  eventId: string;
  eventType: EventType;
  url: string;
  body: string;
  state: 'pending' | 'succeeded' | 'failed';
  attempts: DeliveryAttempt[];
}

export interface WebhookDispatcherOptions {
  state: SimState;
  /** Waits before attempts 2, 3, ...; total attempts = length + 1. */
  retryDelaysMs: readonly number[];
  timeoutMs: number;
  disableAfterFailures: number;
}

export interface WebhookDispatcher {
  /** Every delivery since start, for tests. Deleting a webhook removes its deliveries, as the docs say. */
  readonly deliveries: readonly DeliveryRecord[];
  dispatch(event: EventRecord): void;
  /** Runs every waiting retry now and resolves when those attempts have finished. */
  deliverNow(): Promise<void>;
  /** Resolves when nothing is in flight or waiting to be retried. */
  idle(): Promise<void>;
  forget(webhookId: string): void;
  close(): Promise<void>;
}

/** The signature header value; exported so tests and the sandbox share one definition of the scheme. */
// Written from OpenTrain's docs on purpose rather than reusing the bot's src/http/signature.ts: a mistake
// shared by signer and verifier would make the end-to-end tests agree with it.
export function signWebhookBody(secret: string, unixSeconds: number, rawBody: string): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { state } = options;
  // Own connection pool, so close() leaves no keep-alive sockets open to a test's receiver.
  const agent = new Agent({ keepAliveTimeout: 1_000 });
  const stop = new AbortController();
  const deliveries: DeliveryRecord[] = [];
  const waiting = new Map<DeliveryRecord, NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  let idleWaiters: Array<() => void> = [];

  function settleIdle(): void {
    if (waiting.size > 0 || inFlight.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function schedule(record: DeliveryRecord, delayMs: number): void {
    if (stop.signal.aborted) return;
    waiting.set(
      record,
      setTimeout(() => {
        waiting.delete(record);
        run(record);
      }, delayMs),
    );
  }

  function run(record: DeliveryRecord): void {
    const task = attempt(record).finally(() => {
      inFlight.delete(task);
      settleIdle();
    });
    inFlight.add(task);
  }

  async function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
    const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(options.timeoutMs)]);
    // undici does not follow redirects here: a 3xx is a failed delivery, as the partner docs say (Gap 13).
    const response = await request(url, { method: 'POST', headers, body, signal, dispatcher: agent });
    // Receivers' answers are ignored; read at most 64 KiB of them before dropping the connection.
    await response.body.dump({ limit: 64 * 1024, signal });
    return response.statusCode;
  }

  async function attempt(record: DeliveryRecord): Promise<void> {
    const webhook = state.webhooks.get(record.webhookId);
    if (webhook === undefined || webhook.status !== 'ACTIVE' || stop.signal.aborted) {
      record.state = 'failed';
      return;
    }
    // Each attempt is signed afresh with the clock's current time (Gap 13), so a retry two hours later still
    // passes a receiver's 5-minute tolerance. The body bytes stay identical.
    const unixSeconds = Math.floor(state.clock.now().getTime() / 1000);
    const signature = signWebhookBody(webhook.secret, unixSeconds, record.body);
    const at = state.nowIso();
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await post(
        record.url,
        {
          'content-type': 'application/json',
          'user-agent': 'OpenTrain-Webhooks/1.0',
          'x-opentrain-event': record.eventType,
          'x-opentrain-delivery': record.id,
          'x-opentrain-signature': signature,
        },
        record.body,
      );
    } catch (cause) {
      error = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    }
    if (!state.webhooks.has(record.webhookId)) return; // deleted while in flight; its history is gone
    const ok = status !== null && status >= 200 && status < 300;
    record.attempts.push({ attempt: record.attempts.length + 1, at, status, ok, error, signature });
    if (ok) {
      record.state = 'succeeded';
      webhook.consecutiveFailures = 0;
    } else if (record.attempts.length <= options.retryDelaysMs.length && !stop.signal.aborted) {
      schedule(record, options.retryDelaysMs[record.attempts.length - 1] ?? 0);
    } else {
      // A 4xx counts as a failure too. The threshold counts deliveries whose attempts are all used up.
      record.state = 'failed';
      webhook.consecutiveFailures += 1;
      if (webhook.consecutiveFailures >= options.disableAfterFailures) {
        disableWebhook(state, webhook);
        cancel((r) => r.webhookId === webhook.id);
      }
    }
    state.changed({ kind: 'delivery', id: record.id });
  }

  /** Drops waiting retries; the partner docs say disabling marks pending deliveries FAILED. */
  function cancel(match: (record: DeliveryRecord) => boolean): void {
    for (const [record, timer] of waiting) {
      if (!match(record)) continue;
      clearTimeout(timer);
      waiting.delete(record);
      record.state = 'failed';
    }
    settleIdle();
  }

  return {
    deliveries,
    dispatch(event) {
      // No backfill: only subscriptions that exist when the event is created receive it.
      for (const webhook of state.webhooks.values()) {
        if (webhook.status !== 'ACTIVE' || !webhook.eventTypes.includes(event.type)) continue;
        const record: DeliveryRecord = {
          id: `dlv_${randomUUID()}`,
          webhookId: webhook.id,
          eventId: event.id,
          eventType: event.type,
          url: webhook.url,
          body: JSON.stringify(event),
          state: 'pending',
          attempts: [],
        };
        deliveries.push(record);
        // Deferred so the API response that caused the event goes out first.
        schedule(record, 0);
      }
    },
    async deliverNow() {
      for (const [record, timer] of waiting) {
        clearTimeout(timer);
        waiting.delete(record);
        run(record);
      }
      await Promise.all([...inFlight]);
    },
    idle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      });
    },
    forget(webhookId) {
      cancel((r) => r.webhookId === webhookId);
      for (let i = deliveries.length - 1; i >= 0; i -= 1) {
        if (deliveries[i]?.webhookId === webhookId) deliveries.splice(i, 1);
      }
    },
    async close() {
      stop.abort();
      cancel(() => true);
      await Promise.allSettled([...inFlight]);
      await agent.destroy();
      settleIdle();
    },
  };
}
