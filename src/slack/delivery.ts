import type { SlackDelivery } from '../ports/slack.js';
import type { SlackGateway } from './gateway.js';
import { toSlackCallError } from './gateway.js';
import { renderCard, renderDuplicateCard } from './messages/card.js';
import { renderCardArrived, renderOutcome, renderReminder } from './messages/direct.js';
import { renderHome } from './messages/home.js';
import { renderNotice, renderThreadOutcome, renderThreadReminder } from './messages/notices.js';
import { type ReplySettings, renderReply } from './messages/render-reply.js';

/**
 * Slack as the use cases see it: domain values in, rendered messages out. Rendering happens here, at send
 * time, from the approval as it is now; every post carries its effect key as message metadata.
 */
export function createSlackDelivery(gateway: SlackGateway, settings: ReplySettings): SlackDelivery {
  async function posted(promise: Promise<{ channel: string; ts: string }>) {
    const { channel, ts } = await promise;
    return { channelId: channel, ts };
  }

  return {
    postCard: (approval, now, key) =>
      posted(gateway.postMessage(approval.channelId, renderCard(approval, now), { key })),
    async editCard(approval, card, now, options) {
      await gateway.updateMessage(card.channelId, card.ts, renderCard(approval, now), options);
    },
    async markDuplicate(approval, duplicate, realPermalink) {
      await gateway.updateMessage(
        duplicate.channelId,
        duplicate.ts,
        renderDuplicateCard(approval, realPermalink),
      );
    },
    permalink: (message) => gateway.permalink(message.channelId, message.ts),
    sendDirect(userId, { message, approval }, now, key) {
      const rendered =
        message.about === 'reminder'
          ? renderReminder(approval, now)
          : message.about === 'outcome'
            ? renderOutcome(approval)
            : renderCardArrived(approval);
      // Posting to the user id lands in the app's Messages tab without the im:write scope.
      return posted(gateway.postMessage(userId, rendered, { key }));
    },
    postInThread(approval, card, purpose, now, key) {
      const rendered =
        purpose === 'outcome' ? renderThreadOutcome(approval) : renderThreadReminder(approval, now);
      return posted(gateway.postMessage(card.channelId, rendered, { threadTs: card.ts, key }));
    },
    postNotice: (channelId, notice, key) =>
      posted(gateway.postMessage(channelId, renderNotice(notice), { key })),
    async respond(to, content, _now, options) {
      if (to.responseUrl === null) throw new Error('no response_url to answer through');
      await gateway.respond(to.responseUrl, renderReply(content, settings), options);
    },
    replyByDirect: (to, content, _now, key) =>
      posted(gateway.postMessage(to.userId, renderReply(content, settings), { key })),
    async publishHome(userId, content, now) {
      await gateway.publishHome(userId, renderHome({ ...content, now }));
    },
    async findSent(place, key, since) {
      if ('userId' in place) {
        const channel = await gateway.openDirect(place.userId);
        return rename(await gateway.findByKey(channel, key, since));
      }
      const threadTs = 'threadTs' in place ? place.threadTs : undefined;
      return rename(await gateway.findByKey(place.channelId, key, since, threadTs));
    },
    explain(error) {
      const failure = toSlackCallError(error);
      return {
        failure: failure.failure,
        code: failure.code,
        retryAfterMs: failure.retryAfterMs,
        uncertain: failure.uncertain,
      };
    },
  };
}

function rename(found: readonly { channel: string; ts: string }[]) {
  return found.map((message) => ({ channelId: message.channel, ts: message.ts }));
}
