import { z } from 'zod';
import { type SlackMessage, toSlackCallError } from '../../slack/gateway.js';
import type { Effect, NewEffect } from '../../store/store.js';
import { type EffectResult, type JobDeps, retryIfTransient } from '../deps.js';

/** Slack honours a response_url for 30 minutes; stop a little earlier and DM instead. */
const responseUrlLifetimeMs = 29 * 60_000;

const Message = z.object({ text: z.string(), blocks: z.array(z.any()).optional() });

export const NotifyPayload = z.union([
  z.object({
    userId: z.string(),
    responseUrl: z.string().nullable().default(null),
    requestedAt: z.iso.datetime().nullable().default(null),
    message: Message,
  }),
  z.object({ channelId: z.string(), message: Message }),
]);
export type NotifyPayload = z.input<typeof NotifyPayload>;

type Target =
  | { readonly userId: string; readonly responseUrl?: string | null; readonly requestedAt?: string | null }
  | { readonly channelId: string };

/** Builds the effect that tells someone something once; `key` makes it at-most-once. */
export function notifyEffect(
  key: string,
  approvalId: string | null,
  target: Target,
  message: SlackMessage,
): NewEffect {
  const blocks = message.blocks === undefined ? undefined : [...message.blocks];
  return { key, kind: 'notify', approvalId, payload: { ...target, message: { text: message.text, blocks } } };
}

/**
 * Tells one person something privately: as an ephemeral reply where they typed the command while its
 * response_url is fresh, otherwise (or if that fails for good) as a DM, which also survives a restart.
 * Or posts a notice in a channel (what the autoFund rule could not do).
 */
export async function notify(deps: JobDeps, effect: Effect): Promise<EffectResult> {
  const payload = NotifyPayload.parse(effect.payload);
  const message = payload.message as SlackMessage;
  try {
    if ('channelId' in payload) {
      await deps.slack.postMessage(payload.channelId, message);
      return { kind: 'done' };
    }
    const fresh =
      payload.responseUrl !== null &&
      payload.requestedAt !== null &&
      deps.clock.now().getTime() - Date.parse(payload.requestedAt) < responseUrlLifetimeMs;
    if (fresh && payload.responseUrl !== null) {
      try {
        await deps.slack.respond(payload.responseUrl, message);
        return { kind: 'done' };
      } catch (error) {
        const failure = toSlackCallError(error);
        if (failure.transient) throw failure;
        deps.log.info({ code: failure.code }, 'response_url refused the reply; sending a DM instead');
      }
    }
    await deps.slack.sendDirectMessage(payload.userId, message);
    return { kind: 'done' };
  } catch (error) {
    return retryIfTransient(error);
  }
}
