import { requireFeature, requireScopes } from './gates.js';
import { jsonBody, type Route, route } from './router.js';
import type { SimState } from './state.js';
import { webhookView } from './views.js';
import { createWebhook, getWebhook, listWebhooks, removeWebhook } from './webhooks.js';

function allowWebhooks(state: SimState): void {
  requireScopes(state, 'webhooks:manage');
  requireFeature(state, 'webhooks');
}

export const webhookRoutes: Route[] = [
  // The docs leave the create status open (Gap 13); 201 like every other create.
  route('POST', /^\/webhooks$/, (ctx) => {
    allowWebhooks(ctx.state);
    const { webhook, secret } = createWebhook(ctx.state, jsonBody(ctx));
    return {
      status: 201,
      body: {
        webhook: webhookView(webhook),
        secret,
        message:
          'Store the secret now — it is only returned once. Use it to verify the X-OpenTrain-Signature header on deliveries.',
      },
    };
  }),

  route('GET', /^\/webhooks$/, ({ state }) => {
    allowWebhooks(state);
    return { status: 200, body: { webhooks: listWebhooks(state).map(webhookView) } };
  }),

  route('GET', /^\/webhooks\/(?<webhookId>[^/]+)$/, ({ state, params }) => {
    allowWebhooks(state);
    return { status: 200, body: { webhook: webhookView(getWebhook(state, params.webhookId ?? '')) } };
  }),

  route('DELETE', /^\/webhooks\/(?<webhookId>[^/]+)$/, ({ state, dispatcher, params }) => {
    allowWebhooks(state);
    const webhook = removeWebhook(state, params.webhookId ?? '');
    // Deliveries stop immediately and the delivery history goes with the subscription.
    dispatcher.forget(webhook.id);
    return { status: 200, body: { webhook: webhookView(webhook), deleted: true } };
  }),
];
