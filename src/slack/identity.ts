import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ServiceStatePort } from '../ports/store.js';
import { type SlackGateway, toSlackCallError } from './gateway.js';

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Who the bot is in Slack: learned once, at start-up, so no request ever waits on auth.test. */
export interface Identity {
  readonly teamId: string;
  readonly botUserId: string | undefined;
  readonly botId: string | undefined;
}

const Saved = z.object({
  teamId: z.string().min(1),
  botUserId: z.string().optional(),
  botId: z.string().optional(),
});
const stateKey = 'slack-identity';

/**
 * Asks Slack who the token belongs to, and remembers it. A token Slack rejects stops the start with the fix;
 * a Slack that is merely unreachable is ridden out with the identity from the last start, or, the very first
 * time, waited for (one warning, then a quiet summary each minute).
 */
export async function resolveIdentity(
  gateway: Pick<SlackGateway, 'identity'>,
  state: ServiceStatePort,
  clock: Clock,
  log: Logger,
): Promise<Identity> {
  let warned = false;
  let lastSummary = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await gateway.identity();
      if (result.teamId === undefined) throw new StartupError('Slack answered auth.test without a team id.');
      const identity: Identity = { teamId: result.teamId, botUserId: result.userId, botId: result.botId };
      await state.set(stateKey, JSON.stringify(identity), clock.now());
      log.info({ team: identity.teamId, botUser: identity.botUserId }, 'connected to Slack');
      return identity;
    } catch (error) {
      if (error instanceof StartupError) throw error;
      const failure = toSlackCallError(error);
      if (!failure.transient) {
        throw new StartupError(
          `Slack rejected SLACK_BOT_TOKEN (${failure.code}). Copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page, and reinstall the app if its scopes changed.`,
        );
      }
      const saved = Saved.safeParse(JSON.parse((await state.get(stateKey)) ?? 'null'));
      if (saved.success) {
        log.warn(
          { code: failure.code },
          'Slack is unreachable at startup; continuing as last time, calls will be retried',
        );
        return { teamId: saved.data.teamId, botUserId: saved.data.botUserId, botId: saved.data.botId };
      }
      if (!warned) {
        log.warn(
          { code: failure.code },
          'Slack is unreachable and this is the first start: waiting for it to answer auth.test',
        );
        warned = true;
      } else if (Date.now() - lastSummary > 60_000) {
        log.warn(
          { code: failure.code, attempts: attempt + 1 },
          'still waiting for Slack to answer auth.test',
        );
        lastSummary = Date.now();
      }
      await sleep(Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5)));
    }
  }
}
