import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { Conversations, MessageContent } from './conversations.js';
import { type ApiResult, flag, messageContent } from './web-api-support.js';
import type { Workspace } from './workspace.js';

/** Slack's documented budget for one response_url: 5 uses within 30 minutes. */
export const responseUrlLimits = { uses: 5, lifetimeMs: 30 * 60 * 1000 } as const;

/** The message a button lived on, which `replace_original`/`delete_original` act on for block_actions. */
export interface ResponseUrlSource {
  channel: string;
  ts: string;
  ephemeral: boolean;
}

interface Grant {
  userId: string;
  channelId: string;
  createdAt: number;
  uses: number;
  source: ResponseUrlSource | undefined;
  /** The ephemeral this URL posted last, which a later `replace_original` rewrites. */
  lastEphemeralTs: string | undefined;
}

export interface ResponseUrlAnswer {
  status: number;
  body: ApiResult;
  args: Record<string, unknown>;
}

export interface ResponseUrls {
  /** Returns the opaque token; the fake turns it into `<origin>/respond/<token>`. */
  mint(userId: string, channelId: string, source?: ResponseUrlSource): string;
  answer(token: string, rawBody: string): ResponseUrlAnswer;
  clear(): void;
}

const ResponseBody = z.object({
  text: z.string().optional(),
  blocks: z.unknown().optional(),
  attachments: z.unknown().optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  replace_original: flag.optional(),
  delete_original: flag.optional(),
  thread_ts: z.string().optional(),
});

export function createResponseUrls(deps: {
  clock: Clock;
  workspace: Workspace;
  conversations: Conversations;
}): ResponseUrls {
  const { clock, workspace, conversations } = deps;
  const grants = new Map<string, Grant>();

  const refuse = (status: number, error: string, args: Record<string, unknown> = {}): ResponseUrlAnswer => ({
    status,
    body: { ok: false, error },
    args,
  });

  /** The message `replace_original`/`delete_original` point at: this URL's last ephemeral, else the clicked one. */
  function original(grant: Grant): ResponseUrlSource | undefined {
    if (
      grant.lastEphemeralTs !== undefined &&
      conversations.findEphemeral(grant.userId, grant.lastEphemeralTs)
    ) {
      return { channel: grant.channelId, ts: grant.lastEphemeralTs, ephemeral: true };
    }
    return grant.source;
  }

  function remove(grant: Grant, target: ResponseUrlSource): void {
    if (target.ephemeral) conversations.removeEphemeral(grant.userId, target.ts);
    else conversations.remove(target.channel, target.ts);
  }

  /** Rewrites the target in place; false when it no longer exists. */
  function replace(grant: Grant, target: ResponseUrlSource, content: MessageContent): boolean {
    if (target.ephemeral) {
      const ephemeral = conversations.findEphemeral(grant.userId, target.ts);
      if (ephemeral !== undefined) conversations.replaceEphemeral(ephemeral, content);
      return ephemeral !== undefined;
    }
    const message = conversations.find(target.channel, target.ts);
    if (message !== undefined) conversations.edit(message, content);
    return message !== undefined;
  }

  function answer(token: string, rawBody: string): ResponseUrlAnswer {
    const grant = grants.get(token);
    if (grant === undefined) return refuse(404, 'invalid_url');
    if (clock.now().getTime() - grant.createdAt > responseUrlLimits.lifetimeMs)
      return refuse(404, 'expired_url');
    if (grant.uses >= responseUrlLimits.uses) return refuse(404, 'used_url');
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      return refuse(400, 'invalid_payload');
    }
    const parsed = ResponseBody.safeParse(json);
    if (!parsed.success) return refuse(400, 'invalid_payload');
    const body = parsed.data;
    const args: Record<string, unknown> = { ...body, user: grant.userId, channel: grant.channelId };
    const target = original(grant);
    if (body.delete_original === true) {
      grant.uses += 1;
      if (target !== undefined) remove(grant, target);
      return { status: 200, body: { ok: true }, args };
    }
    const checked = messageContent(body);
    if (!checked.ok) return refuse(400, String(checked.result.error), args);
    grant.uses += 1;
    const content: MessageContent = {
      text: checked.value.text,
      blocks: checked.value.blocks ?? [],
      ...(checked.value.attachments === undefined ? {} : { attachments: checked.value.attachments }),
    };
    if (body.replace_original === true && target !== undefined && replace(grant, target, content)) {
      return { status: 200, body: { ok: true }, args };
    }
    const threadTs = body.thread_ts === undefined ? {} : { threadTs: body.thread_ts };
    if (body.response_type === 'in_channel') {
      conversations.post({
        channel: grant.channelId,
        user: workspace.botUserId,
        botId: workspace.botId,
        ...content,
        ...threadTs,
        source: 'response_url',
      });
    } else {
      const ephemeral = conversations.postEphemeral({
        channel: grant.channelId,
        user: grant.userId,
        ...content,
        ...threadTs,
        source: 'response_url',
      });
      grant.lastEphemeralTs = ephemeral.ts;
    }
    return { status: 200, body: { ok: true }, args };
  }

  return {
    mint(userId, channelId, source) {
      const token = `${workspace.team.id}/${randomBytes(6).toString('hex')}/${randomBytes(12).toString('base64url')}`;
      grants.set(token, {
        userId,
        channelId,
        createdAt: clock.now().getTime(),
        uses: 0,
        source,
        lastEphemeralTs: undefined,
      });
      return token;
    },
    answer,
    clear: () => grants.clear(),
  };
}
