import { z } from 'zod';
import type { ShiftableClock } from '../clock.js';
import { parseDuration } from '../duration.js';
import type { Service } from '../service.js';
import type { OpenTrainSimulator } from './opentrain/simulator.js';
import { pageAccount, type SandboxCast } from './page-state.js';
import type { SlackFake } from './slack/fake.js';
import type { TrafficEntry } from './traffic.js';

// The JSON endpoints behind the page's controls. Their bodies come from a browser, so each is parsed here.

// Each message is a whole sentence the page shows as it is (never prefixed with a field name).
const channelId = z
  .string({ error: 'The page did not say which channel this is for; reload it.' })
  .regex(/^[CDG][A-Z0-9]{2,30}$/, {
    error: 'The page named a channel this workspace does not have; reload it.',
  });

export const CommandInput = z.object({
  channelId,
  /** Exactly what was typed in the composer, e.g. "/fund-milestone M-1001 batch 2". */
  text: z
    .string({ error: 'Type a command first, like /fund-milestone M-1001.' })
    .trim()
    .min(1, { error: 'Type a command first, like /fund-milestone M-1001.' })
    .max(4_000, { error: 'That is too long for a slash command: 4,000 characters at most.' }),
});

export const ClickInput = z.object({
  channelId,
  messageTs: z
    .string({ error: 'That button belongs to a message the page does not know; reload it.' })
    .regex(/^\d{1,12}\.\d{6}$/, {
      error: 'That button belongs to a message the page does not know; reload it.',
    }),
  actionId: z
    .string({ error: 'That button has no action id.' })
    .min(1, { error: 'That button has no action id.' })
    .max(255, { error: 'That button has no action id.' }),
});

const maxJumpMs = 30 * 86_400_000;
export const clockInputProblem = 'Type how far to move the clock, like 90m, 5h or 2d (30 days at most).';

export const ClockInput = z.object({
  /** "23h", "90m", "2d", "45s". */
  by: z.string({ error: clockInputProblem }).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms !== undefined && ms > 0 && ms <= maxJumpMs) return ms;
    ctx.addIssue({ code: 'custom', message: clockInputProblem });
    return z.NEVER;
  }),
});

const accountSwitch = z
  .boolean({ error: 'An account switch is either on (true) or off (false).' })
  .optional();
export const AccountInput = z
  .object({
    paymentMethod: accountSwitch,
    claimed: accountSwitch,
    paymentsWriteScope: accountSwitch,
    paymentsApi: accountSwitch,
  })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), {
    error: 'Name a switch to flip: paymentMethod, claimed, paymentsWriteScope or paymentsApi.',
  });

/** The scopes of a token minted with and without payments:write. */
const scopesWith = ['payments:read', 'payments:write', 'webhooks:manage'];
const scopesWithout = ['payments:read', 'webhooks:manage'];

export const ApprovalIdParam = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'That is not an approval id OpenTrain could have made.' });

/** A refusal the page shows as it is: the status and a sentence for a person. */
export class PageApiError extends Error {
  override readonly name = 'PageApiError';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The first problem, as the sentence its schema wrote for a person (no field names: the page shows it). */
export function parseBody<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new PageApiError(400, parsed.error.issues[0]?.message ?? 'The sandbox could not read that request.');
}

export interface PageApiDeps {
  clock: ShiftableClock;
  opentrain: OpenTrainSimulator;
  slack: SlackFake;
  cast: SandboxCast;
  service(): Service;
  recordInbound(entry: TrafficEntry): void;
  markOpened(approvalId: string): void;
}

/** Splits "/fund-milestone M-1001 note" the way Slack does: the command, then the rest as `text`. */
export function splitCommand(typed: string): { command: string; text: string } {
  const match = /^(\/[^\s]+)(?:\s+([\s\S]*))?$/.exec(typed.trim());
  if (match === null) {
    throw new PageApiError(
      400,
      'Only slash commands reach the bot in the sandbox. Try /fund-milestone M-1001.',
    );
  }
  const command = (match[1] ?? '').toLowerCase();
  if (command !== '/fund-milestone') {
    throw new PageApiError(
      400,
      `${command} is not a valid command here. This workspace has one app command: /fund-milestone.`,
    );
  }
  return { command, text: match[2] ?? '' };
}

export function createPageApi(deps: PageApiDeps) {
  const appUrl = () => `${deps.service().url}/slack/events`;

  function inbound(label: string, at: Date, result: { status: number; failure?: string }): TrafficEntry {
    const ok = result.failure === undefined && result.status >= 200 && result.status < 300;
    const entry: TrafficEntry = {
      at: at.toISOString(),
      route: 'slack-to-bot',
      label: label.length > 80 ? `${label.slice(0, 79)}…` : label,
      outcome: result.failure ?? String(result.status),
      ok,
      count: 1,
    };
    deps.recordInbound(entry);
    return entry;
  }

  /** The fake refuses impossible requests (not a member, no such button) by throwing; those are 400s. */
  async function asSlack<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new PageApiError(
        400,
        error instanceof Error ? error.message.replace(/^Slack fake: /, '') : 'refused',
      );
    }
  }

  return {
    /** Signs the command and POSTs it to the bot, exactly like Slack; resolves once the bot has acked. */
    async command(raw: unknown) {
      const input = parseBody(CommandInput, raw);
      const { command, text } = splitCommand(input.text);
      if (deps.slack.snapshot().channels.find((channel) => channel.id === input.channelId)?.isArchived) {
        throw new PageApiError(400, 'This channel is archived, so nothing can be posted in it.');
      }
      const at = deps.clock.now();
      const result = await asSlack(() =>
        deps.slack.sendCommand({
          appUrl: appUrl(),
          command,
          text,
          userId: deps.cast.you,
          channelId: input.channelId,
        }),
      );
      const entry = inbound(`${command} ${text}`.trim(), at, result);
      return { ok: entry.ok, status: result.status, failure: result.failure ?? null };
    },

    /** The block_actions Slack sends when someone clicks a URL button (Slack opens the URL itself). */
    async click(raw: unknown) {
      const input = parseBody(ClickInput, raw);
      const at = deps.clock.now();
      const result = await asSlack(() =>
        deps.slack.clickButton({ appUrl: appUrl(), userId: deps.cast.you, ...input }),
      );
      const entry = inbound(`block_actions ${input.actionId}`, at, result);
      return { ok: entry.ok, status: result.status };
    },

    /**
     * Someone opened the app's Home tab: Slack sends the app a signed `app_home_opened` event, and the bot
     * publishes the tab with views.publish, which the page then draws.
     */
    async openAppHome() {
      const at = deps.clock.now();
      const result = await asSlack(() => deps.slack.openAppHome({ appUrl: appUrl(), userId: deps.cast.you }));
      const entry = inbound('app_home_opened', at, result);
      return { ok: entry.ok, status: result.status };
    },

    /** Moves the shared clock; the sandbox then polls at once so reminders and expiry show now. */
    async advance(raw: unknown) {
      const { by } = parseBody(ClockInput, raw);
      const now = deps.clock.advance(by);
      await deps.service().pollNow();
      return { now: now.toISOString() };
    },

    account(raw: unknown) {
      const input = parseBody(AccountInput, raw);
      const account = deps.opentrain.setAccount({
        claimed: input.claimed,
        paymentMethod: input.paymentMethod,
        scopes:
          input.paymentsWriteScope === undefined
            ? undefined
            : input.paymentsWriteScope
              ? scopesWith
              : scopesWithout,
        features: input.paymentsApi === undefined ? undefined : { paymentsWrite: input.paymentsApi },
      });
      return { account: pageAccount(account) };
    },

    /** What a signed-in OpenTrain user does on the approval page. */
    resolve(rawId: string, action: 'confirm' | 'decline' | 'open') {
      const approvalId = parseBody(ApprovalIdParam, rawId);
      if (!deps.opentrain.snapshot().approvals.some((approval) => approval.id === approvalId)) {
        throw new PageApiError(404, `OpenTrain has no approval ${approvalId}.`);
      }
      if (action === 'open') {
        deps.markOpened(approvalId);
        return { ok: true };
      }
      try {
        const approval =
          action === 'confirm' ? deps.opentrain.confirm(approvalId) : deps.opentrain.decline(approvalId);
        return { approval: { id: approval.id, status: approval.status } };
      } catch (error) {
        // e.g. "Approval AP-1 is already expired; only a pending approval can be confirmed."
        throw new PageApiError(409, error instanceof Error ? error.message : 'refused');
      }
    },
  };
}

export type PageApi = ReturnType<typeof createPageApi>;
