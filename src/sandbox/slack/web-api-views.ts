import { z } from 'zod';
import { validateBlocks } from './blocks.js';
import { type ApiDeps, type ApiResult, fail, type MethodHandler, parseArgs } from './web-api-support.js';

const PublishArgs = z.object({
  user_id: z.string().default(''),
  view: z.unknown(),
  hash: z.string().optional(),
});

const HomeView = z.looseObject({
  type: z.literal('home'),
  blocks: z.unknown(),
  private_metadata: z.string().max(3000).optional(),
  callback_id: z.string().max(255).optional(),
  external_id: z.string().max(255).optional(),
});

function invalid(messages: string[]): ApiResult {
  return fail('invalid_arguments', {
    response_metadata: { messages: messages.map((text) => `[ERROR] ${text}`) },
  });
}

function publish(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const { workspace, conversations } = deps;
  const parsed = parseArgs(PublishArgs, args);
  if (!parsed.ok) return parsed.result;
  const input = parsed.value;
  const user = workspace.user(input.user_id);
  if (user === undefined || user.isBot) return fail('user_not_found');
  const view = HomeView.safeParse(input.view);
  if (!view.success) {
    return invalid(
      view.error.issues.map((issue) => `${issue.message} [json-pointer:/view/${issue.path.join('/')}]`),
    );
  }
  // Views are validated like Slack does for modals and Home tabs: the same block rules, but up to 100 blocks.
  const blocks = validateBlocks(view.data.blocks, 'home', '/view/blocks');
  if (!blocks.ok) return invalid(blocks.errors);
  const current = conversations.home(user.id);
  // `hash` is the optimistic lock Slack offers: publish only if nobody changed the view since it was read.
  if (input.hash !== undefined && current !== undefined && input.hash !== current.hash)
    return fail('hash_conflict');
  const home = conversations.publishHome(user.id, { ...view.data, blocks: blocks.blocks });
  return {
    ok: true,
    view: {
      id: home.id,
      team_id: workspace.team.id,
      type: 'home',
      blocks: blocks.blocks,
      private_metadata: view.data.private_metadata ?? '',
      callback_id: view.data.callback_id ?? '',
      hash: home.hash,
      app_id: workspace.appId,
      bot_id: workspace.botId,
    },
  };
}

export const viewMethods: Record<string, MethodHandler> = { 'views.publish': publish };
