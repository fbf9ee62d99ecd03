import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { badRequest, conflict, missingScopes, notFound } from './errors.js';
import { hasScope } from './gates.js';
import type { SimState } from './state.js';
import { type EventType, eventScopes, eventTypes, type WebhookRecord } from './types.js';

// Webhook subscriptions: validation and bookkeeping. Delivery lives in webhook-delivery.ts.

/** Counts DISABLED subscriptions too: the only way to free a slot is DELETE. */
export const maxWebhooks = 10;
const maxUrlLength = 2048;
/** Plain http is allowed only for local receivers, as documented; [::1] is the IPv6 spelling of localhost. */
const localHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

const CreateWebhookBody = z.object({ url: z.unknown(), eventTypes: z.unknown() });

function parseUrl(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw badRequest('url', 'url is required.');
  if (value.length > maxUrlLength) throw badRequest('url', `url must be at most ${maxUrlLength} characters.`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badRequest('url', 'url must be an absolute URL.');
  }
  const local = localHosts.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    throw badRequest('url', 'url must use https (plain http is allowed only for localhost).');
  }
  return value;
}

function parseEventTypes(value: unknown): EventType[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw badRequest('eventTypes', 'eventTypes must be a non-empty array.', {
      supportedEventTypes: eventTypes,
    });
  }
  const unknownEventTypes = value.filter(
    (v) => typeof v !== 'string' || !(eventTypes as string[]).includes(v),
  );
  if (unknownEventTypes.length > 0) {
    throw badRequest('eventTypes', 'eventTypes contains unknown event types.', {
      unknownEventTypes,
      supportedEventTypes: eventTypes,
    });
  }
  return [...new Set(value as EventType[])];
}

export function createWebhook(state: SimState, body: unknown): { webhook: WebhookRecord; secret: string } {
  const parsed = CreateWebhookBody.safeParse(body);
  if (!parsed.success) throw badRequest('body', 'Body must be an object with url and eventTypes.');
  const url = parseUrl(parsed.data.url);
  const types = parseEventTypes(parsed.data.eventTypes);
  // Create also needs the read scope of every subscribed event type.
  const missing = [...new Set(types.map((t) => eventScopes[t]))].filter((scope) => !hasScope(state, scope));
  if (missing.length > 0) throw missingScopes(missing);
  if (state.webhooks.size >= maxWebhooks) {
    throw conflict('webhook_limit_reached', `An account can have at most ${maxWebhooks} webhooks.`, {
      limit: maxWebhooks,
    });
  }
  const secret = `whsec_${randomBytes(24).toString('hex')}`;
  const webhook: WebhookRecord = {
    id: state.nextId('WH-'),
    url,
    eventTypes: types,
    status: 'ACTIVE',
    createdAt: state.nowIso(),
    disabledAt: null,
    disabledReason: null,
    secret,
    consecutiveFailures: 0,
  };
  state.webhooks.set(webhook.id, webhook);
  state.changed({ kind: 'webhook', id: webhook.id });
  return { webhook, secret };
}

/** Newest first; creation order breaks ties, since several can share a clock millisecond. */
export function listWebhooks(state: SimState): WebhookRecord[] {
  return [...state.webhooks.values()].reverse();
}

export function getWebhook(state: SimState, webhookId: string): WebhookRecord {
  const webhook = state.webhooks.get(webhookId);
  if (webhook === undefined) throw notFound('webhooks', 'webhookId', webhookId);
  return webhook;
}

export function removeWebhook(state: SimState, webhookId: string): WebhookRecord {
  const webhook = getWebhook(state, webhookId);
  state.webhooks.delete(webhookId);
  state.changed({ kind: 'webhook', id: webhookId });
  return webhook;
}

export const disabledReason = 'Disabled after repeated delivery failures';

export function disableWebhook(state: SimState, webhook: WebhookRecord): void {
  if (webhook.status === 'DISABLED') return;
  webhook.status = 'DISABLED';
  webhook.disabledAt = state.nowIso();
  webhook.disabledReason = disabledReason;
  state.changed({ kind: 'webhook', id: webhook.id });
}
