import type { Logger } from '../logger.js';
import type { Place, SentMessage, SlackDelivery } from '../ports/slack.js';
import type { ClaimedEffect } from '../ports/store.js';
import { type EffectResult, slackRetry } from './effect-result.js';

export type Looked =
  /** `extras`: further copies, when an earlier attempt had to send again without being able to look. */
  | { readonly kind: 'found'; readonly message: SentMessage; readonly extras: readonly SentMessage[] }
  | { readonly kind: 'absent' }
  | { readonly kind: 'retry'; readonly result: EffectResult };

/**
 * Before sending again after an attempt that may have landed (it timed out, or the process died mid-way),
 * look for the message in Slack by the effect key it carries. A Slack that cannot answer now is asked again
 * later rather than risking a second message; a place Slack will not let us read (a missing history scope, a
 * conversation the bot left) is the one case where the message is sent again blind, and that is logged.
 */
export async function lookBeforeResending(
  deps: { readonly slack: Pick<SlackDelivery, 'findSent' | 'explain'>; readonly log: Logger },
  claimed: Pick<ClaimedEffect, 'key' | 'uncertainSince'>,
  place: Place,
): Promise<Looked> {
  if (claimed.uncertainSince === null) return { kind: 'absent' };
  try {
    const [message, ...extras] = await deps.slack.findSent(place, claimed.key, claimed.uncertainSince);
    if (message === undefined) return { kind: 'absent' };
    deps.log.info(
      { effect: claimed.key, copies: extras.length + 1 },
      'found the message an earlier attempt posted; not sending it again',
    );
    return { kind: 'found', message, extras };
  } catch (error) {
    const info = deps.slack.explain(error);
    if (info.failure === 'rate-limited' || info.failure === 'unavailable') {
      return { kind: 'retry', result: slackRetry(info) };
    }
    deps.log.warn(
      { effect: claimed.key, code: info.code },
      'cannot look for an earlier attempt in Slack; sending again',
    );
    return { kind: 'absent' };
  }
}
