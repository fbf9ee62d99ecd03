import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountPatch } from '../../src/sandbox/opentrain/types.js';
import { type Harness, ids, startHarness } from '../e2e/harness.js';
import { fuzz, fuzzTimeout, hostileLongText, hostileText, openTrainId } from '../helpers/fuzz.js';
import { slackMessageProblems } from '../helpers/slack-output.js';
import { commandText } from './arbitraries.js';
import { lastCallSeq, slackMessageFaults, uncheckedOpenTrainIds, workspaceAllowance } from './bot-checks.js';

/*
 * The real bot over signed HTTP, against the OpenTrain simulator and the Slack fake: slash commands as people
 * type them and as a forger could shape them, button clicks and events of any shape, and bytes that are not
 * Slack's at all. Every request is answered (never a 500, always inside Slack's 3 seconds), every command with
 * something a person can act on, and what the bot then sends OpenTrain and Slack holds to the same rules as
 * everywhere: ids of the id grammar, messages within Slack's limits, no markup from the input.
 */

/** Who may type where in the sandbox workspace (Slack only lets members run a command in a channel). */
const typists = fc.constantFrom(
  { userId: ids.alice, channelId: ids.financeApprovals },
  { userId: ids.alice, channelId: ids.secretOps },
  { userId: ids.bob, channelId: ids.projectX },
  { userId: ids.bob, channelId: ids.financeApprovals },
);

/** Commands about what the sandbox holds, so runs reach OpenTrain and post cards, mixed with anything at all. */
const sandboxToken = fc.constantFrom(
  'M-1001',
  'M-1002',
  'M-1003',
  'M-1004',
  'M-1005',
  'M-9999',
  'm-1001',
  'M 1001',
  'history',
  'route',
  'set',
  'list',
  'remove',
  'J-100',
  'job:J-100',
  'contract:C-501',
  'C-501',
  `<#${ids.financeApprovals}|finance-approvals>`,
  `<@${ids.carol}|carol>`,
  `<!subteam^${ids.financeGroup}|@finance>`,
  'autofund',
  '<https://app.opentrain.ai/contracts/C-501/milestones/M-1002|M-1002>',
);
const milestone = fc.constantFrom(
  'M-1001',
  'M-1002',
  'M-1003',
  'M-1004',
  'M-1005',
  'M-9999',
  'm-1001',
  '"M-1002"',
);
const target = fc.constantFrom('J-100', 'C-501', 'job:J-100', 'contract:C-501', 'J-404', 'job:J-200');
const mentions = fc
  .array(
    fc.constantFrom(
      `<@${ids.carol}|carol>`,
      `<@${ids.dan}>`,
      `<!subteam^${ids.financeGroup}|@finance>`,
      'autofund',
    ),
    {
      maxLength: 4,
    },
  )
  .map((tokens) => tokens.join(' '));
/** The commands the README documents, with hostile notes and odd ids mixed in. */
const documented = fc.oneof(
  fc.tuple(milestone, hostileText()).map(([id, rest]) => `${id} ${rest}`),
  fc.oneof(milestone, hostileText(2)).map((id) => `history ${id}`),
  fc
    .tuple(
      target,
      fc.constantFrom(`<#${ids.financeApprovals}|finance-approvals>`, `<#${ids.projectX}>`, '#general'),
      mentions,
    )
    .map(([id, channel, rest]) => `route set ${id} ${channel} ${rest}`),
  target.map((id) => `route remove ${id}`),
  fc.constantFrom('route list', 'routes', 'route', 'help', ''),
);
const typed = fc.oneof(
  { weight: 2, arbitrary: commandText },
  { weight: 3, arbitrary: documented },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.array(fc.oneof(sandboxToken, hostileText(2)), { minLength: 1, maxLength: 6 }))
      .map(([tokens]) => tokens.join(' ')),
  },
);

interface Answer {
  readonly response_type?: unknown;
  readonly text?: unknown;
  readonly blocks?: unknown;
}

describe('the bot over signed HTTP, fed anything', { timeout: fuzzTimeout() }, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *', ADMIN_USERS: ids.alice });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** The bot's answer to a command, as Slack shows it (an empty ack means the answer follows by response_url). */
  function expectCommandAnswered(result: { status: number; failure?: string; json: unknown; body: string }) {
    expect(result.failure).toBeUndefined();
    expect(result.status).toBe(200);
    if (result.body === '') return;
    const answer = result.json as Answer;
    expect(answer.response_type).toBe('ephemeral');
    expect(typeof answer.text === 'string' && answer.text.trim() !== '').toBe(true);
    expect(slackMessageProblems(answer, { allowed: workspaceAllowance(h) })).toEqual([]);
  }

  /** What a person might type after the milestone, as Slack sends it (their &, < and > as entities) or raw. */
  const note = fc.oneof(
    fc.constant(''),
    hostileText().map((text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')),
    hostileText(),
    hostileLongText().map((text) => text.slice(0, 600)),
  );

  const fate = fc.constantFrom('confirm', 'decline', 'expire', 'remind', 'none');

  /** Whether the ack promised more: empty (a route change asks OpenTrain first) or "Asking OpenTrain…". */
  function followsUp(result: { body: string; json: unknown }): boolean {
    if (result.body === '') return true;
    const text = (result.json as Answer | undefined)?.text;
    return typeof text === 'string' && /Asking OpenTrain|will follow here/.test(text);
  }

  /** The private answer that follows an ack which promised one: wait for it. */
  function privateAnswer(userId: string, afterSeq: number) {
    return h.slack.waitUntil(
      () =>
        h.slack.calls.some(
          (call) =>
            call.seq > afterSeq &&
            (call.method === 'response_url' || call.method === 'chat.postEphemeral') &&
            call.args.user === userId,
        ),
      5_000,
      `a private answer to ${userId}`,
    );
  }

  it(
    'follows a request from command to outcome, with hostile names and notes, within the rules',
    async () => {
      await fc.assert(
        fc.asyncProperty(hostileLongText(), note, typists, fate, async (name, typedNote, who, ending) => {
          const milestone = h.opentrain.addMilestone('C-501', {
            name: name.slice(0, 2_000) || 'x',
            amountUsd: 120.5,
          });
          const before = lastCallSeq(h);

          const result = await h.command(`${milestone.id} ${typedNote}`, who);
          if (followsUp(result)) await privateAnswer(who.userId, before);
          await h.service.pollNow();
          const approval = h.opentrain.snapshot().approvals.find((one) => one.milestoneId === milestone.id);
          const tracked =
            approval === undefined ? undefined : await h.service.store.approvals.get(approval.id);
          if (tracked?.card.ts != null && tracked.card.channelId !== null) {
            await h.slack.clickButton({
              appUrl: `${h.service.url}/slack/events`,
              userId: who.userId,
              channelId: tracked.card.channelId,
              messageTs: tracked.card.ts,
              actionId: 'open_approval',
              force: true,
            });
          }
          if (approval !== undefined && ending === 'confirm') h.opentrain.confirm(approval.id);
          if (approval !== undefined && ending === 'decline') h.opentrain.decline(approval.id);
          if (approval !== undefined && ending === 'expire') h.opentrain.expire(approval.id);
          if (ending === 'remind') h.clock.advance(71.5 * 3_600_000);
          await h.service.pollNow();
          await h.slack.openAppHome({ appUrl: `${h.service.url}/slack/events`, userId: who.userId });
          await h.service.pollNow();

          expectCommandAnswered(result);
          expect(slackMessageFaults(h, before)).toEqual([]);
          expect(uncheckedOpenTrainIds(h)).toEqual([]);
        }),
        fuzz(15),
      );
    },
    fuzzTimeout(60_000),
  );

  it(
    'answers every command a person can type, and sends nothing it should not',
    async () => {
      await fc.assert(
        fc.asyncProperty(typed, typists, async (text, who) => {
          const before = lastCallSeq(h);

          const result = await h.command(text, who);
          if (followsUp(result)) await privateAnswer(who.userId, before);
          await h.service.pollNow();

          expectCommandAnswered(result);
          expect(slackMessageFaults(h, before)).toEqual([]);
          expect(uncheckedOpenTrainIds(h)).toEqual([]);
        }),
        fuzz(40),
      );
    },
    fuzzTimeout(60_000),
  );

  /** A form field as a forger might send it: Slack's value, another one, empty, several, or none. */
  function field(valid: fc.Arbitrary<string>) {
    return fc.oneof(
      { weight: 3, arbitrary: valid },
      { weight: 1, arbitrary: hostileText() },
      { weight: 1, arbitrary: fc.constant('') },
      { weight: 1, arbitrary: fc.array(valid, { minLength: 2, maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
  }

  const forgedCommand = fc.record({
    command: field(fc.constantFrom('/fund-milestone')),
    text: field(typed),
    user_id: field(fc.constantFrom(ids.alice, ids.bob, 'U0NOBODY')),
    channel_id: field(fc.constantFrom(ids.financeApprovals, ids.projectX, 'C0NOWHERE', 'D0DIRECT')),
    team_id: field(fc.constant(ids.team)),
    trigger_id: field(fc.stringMatching(/^\d{6}\.\d{4}\.[a-f0-9]{8}$/)),
    response_url: fc.option(
      fc.constantFrom('not a url', 'mailto:someone@example.com', 'http://127.0.0.1:1/x'),
      {
        nil: undefined,
      },
    ),
  });

  it(
    'answers a signed command whatever its fields hold, form or JSON',
    async () => {
      await fc.assert(
        fc.asyncProperty(forgedCommand, fc.boolean(), async (fields, asJson) => {
          const responseUrl = h.slack.responseUrl(ids.alice, ids.financeApprovals);
          const withUrl = { ...fields, response_url: fields.response_url ?? responseUrl };
          let body: string;
          if (asJson) {
            body = JSON.stringify(withUrl);
          } else {
            const form = new URLSearchParams();
            for (const [name, value] of Object.entries(withUrl)) {
              if (value === undefined) continue;
              for (const one of Array.isArray(value) ? value : [value]) form.append(name, one);
            }
            body = form.toString();
          }
          const before = lastCallSeq(h);

          const result = await h.slack.sendSigned({
            appUrl: `${h.service.url}/slack/events`,
            body,
            contentType: asJson ? 'application/json' : 'application/x-www-form-urlencoded',
          });
          await h.service.pollNow();

          expect(result.failure).toBeUndefined();
          expect(result.status).toBe(200);
          if (fields.command === '/fund-milestone' && result.body !== '') {
            const answer = result.json as Answer;
            expect(answer.response_type).toBe('ephemeral');
            expect(slackMessageProblems(answer, { allowed: workspaceAllowance(h) })).toEqual([]);
          }
          expect(slackMessageFaults(h, before)).toEqual([]);
          expect(uncheckedOpenTrainIds(h)).toEqual([]);
        }),
        fuzz(40),
      );
    },
    fuzzTimeout(60_000),
  );

  const anyJson = fc.jsonValue({ maxDepth: 3 });

  /** block_actions and other interactions: Slack's shape, with any part missing, swapped or hostile. */
  const interaction = fc.record(
    {
      type: fc.oneof(
        fc.constantFrom('block_actions', 'view_submission', 'shortcut', 'message_action'),
        hostileText(),
      ),
      user: fc.oneof(
        fc.record(
          { id: fc.oneof(fc.constantFrom(ids.alice, ids.bob), hostileText(), anyJson) },
          { requiredKeys: [] },
        ),
        anyJson,
      ),
      team: fc.oneof(fc.constant({ id: ids.team }), anyJson),
      api_app_id: fc.constant(ids.app),
      channel: fc.oneof(fc.constant({ id: ids.financeApprovals }), anyJson),
      container: anyJson,
      trigger_id: fc.oneof(fc.constant('1.2.abc'), anyJson),
      response_url: fc.constant(undefined),
      actions: fc.oneof(
        fc.array(
          fc.record(
            {
              type: fc.oneof(fc.constant('button'), hostileText()),
              action_id: fc.oneof(fc.constant('open_approval'), hostileText(), anyJson),
              block_id: fc.oneof(fc.constant('approval:A-2001'), hostileLongText()),
              value: fc.oneof(openTrainId('A'), hostileLongText(), anyJson),
              url: fc.oneof(fc.constant('https://app.opentrain.ai/approvals/A-2001'), hostileText()),
              action_ts: fc.constant('1700000000.000100'),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
        anyJson,
      ),
    },
    { requiredKeys: ['type'] },
  );

  it(
    'acks any click or interaction, and asks OpenTrain nothing for it',
    async () => {
      await fc.assert(
        fc.asyncProperty(interaction, fc.boolean(), async (payload, asForm) => {
          const before = h.opentrain.requests.length;
          const seq = lastCallSeq(h);

          const result = await h.slack.sendSigned({
            appUrl: `${h.service.url}/slack/events`,
            body: asForm
              ? new URLSearchParams({ payload: JSON.stringify(payload) }).toString()
              : JSON.stringify(payload),
            contentType: asForm ? 'application/x-www-form-urlencoded' : 'application/json',
          });
          await h.service.pollNow();

          expect(result.failure).toBeUndefined();
          expect(result.status).toBe(200);
          expect(
            h.opentrain.requests
              .slice(before)
              .filter((request) => request.method !== 'GET' || request.path !== '/updates'),
          ).toEqual([]);
          expect(slackMessageFaults(h, seq)).toEqual([]);
        }),
        fuzz(40),
      );
    },
    fuzzTimeout(60_000),
  );

  /** Events API envelopes: app_home_opened as Slack sends it, and everything an envelope could hold instead. */
  const envelope = fc.record(
    {
      type: fc.oneof(fc.constant('event_callback'), hostileText()),
      team_id: fc.constant(ids.team),
      api_app_id: fc.constant(ids.app),
      event_id: fc.oneof(
        fc.uuid().map((id) => `Ev${id}`),
        anyJson,
      ),
      event_time: fc.oneof(fc.nat(), anyJson),
      event: fc.oneof(
        fc.record(
          {
            type: fc.oneof(fc.constantFrom('app_home_opened', 'message', 'app_mention'), hostileText()),
            user: fc.oneof(fc.constantFrom(ids.alice, ids.bob, ids.dan, 'U0NOBODY'), hostileText(), anyJson),
            tab: fc.oneof(fc.constantFrom('home', 'messages'), hostileText(), anyJson),
            channel: fc.oneof(fc.constant('D0ALICE'), anyJson),
            event_ts: fc.constant('1700000000.000200'),
            view: anyJson,
          },
          { requiredKeys: [] },
        ),
        anyJson,
      ),
    },
    { requiredKeys: ['type'] },
  );

  it(
    'acks any event, and publishes only Home tabs Slack accepts',
    async () => {
      await fc.assert(
        fc.asyncProperty(envelope, async (body) => {
          const seq = lastCallSeq(h);

          const result = await h.slack.sendSigned({
            appUrl: `${h.service.url}/slack/events`,
            body: JSON.stringify(body),
            contentType: 'application/json',
          });
          await h.service.pollNow();

          expect(result.failure).toBeUndefined();
          expect(result.status).toBe(200);
          expect(slackMessageFaults(h, seq)).toEqual([]);
        }),
        fuzz(40),
      );
    },
    fuzzTimeout(60_000),
  );

  it(
    'refuses bytes Slack did not sign, and answers bytes it did, never with a 500',
    async () => {
      const contentTypes = fc.constantFrom(
        'application/json',
        'application/x-www-form-urlencoded',
        'text/plain',
        'application/x-www-form-urlencoded; charset=utf-8',
      );
      const bytes = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 300 }),
        anyJson.map((value) => JSON.stringify(value)),
        anyJson.map((value) => `payload=${encodeURIComponent(JSON.stringify(value))}`),
        fc.constantFrom(
          'null',
          'payload=null',
          'payload=%5B%5D',
          '[]',
          '"x"',
          '1',
          'ssl_check=1',
          '{"type":"url_verification"}',
        ),
      );
      const signing = fc.oneof(
        fc.constant({}),
        fc.constant({ signature: 'v0=bad' }),
        fc.constant({ timestampSec: Math.floor(Date.now() / 1_000) - 600 }),
        fc.constant({ timestampSec: Math.floor(Date.now() / 1_000) + 3_600 }),
      );
      await fc.assert(
        fc.asyncProperty(bytes, contentTypes, signing, async (body, contentType, overrides) => {
          const result = await h.slack.sendSigned({
            appUrl: `${h.service.url}/slack/events`,
            body,
            contentType: contentType as 'application/json',
            ...overrides,
          });

          expect(result.failure).toBeUndefined();
          expect([200, 400, 401]).toContain(result.status);
          if (result.status !== 200)
            expect((result.json as { error?: unknown }).error).toEqual(expect.any(String));
        }),
        fuzz(80),
      );
      await h.service.pollNow();
      expect(uncheckedOpenTrainIds(h)).toEqual([]);
    },
    fuzzTimeout(60_000),
  );

  /** How OpenTrain may refuse the account: each gets its own reply, some with a link into OpenTrain. */
  const account: fc.Arbitrary<AccountPatch> = fc.oneof(
    { weight: 4, arbitrary: fc.constant<AccountPatch>({}) },
    {
      weight: 5,
      arbitrary: fc.constantFrom<AccountPatch>(
        { paymentMethod: false },
        { claimed: false },
        { scopes: ['payments:read'] },
        { features: { paymentsWrite: false } },
        { features: { paymentsWrite: false, jobDrafting: false } },
      ),
    },
  );

  it(
    'requests new milestones by an autofund rule, or says in the channel why not, within the rules',
    async () => {
      await h.command(
        `route set contract:C-502 <#${ids.projectX}|project-x> <@${ids.dan}> <!subteam^${ids.financeGroup}|@finance> autofund`,
      );
      await h.service.pollNow();
      await fc.assert(
        fc.asyncProperty(hostileLongText(), account, fc.boolean(), async (name, patch, byHand) => {
          const before = lastCallSeq(h);
          h.opentrain.setAccount(patch);

          const milestone = h.opentrain.addMilestone('C-502', {
            name: name.slice(0, 2_000) || 'x',
            amountUsd: 40,
          });
          if (byHand) {
            const result = await h.command(milestone.id, { userId: ids.bob, channelId: ids.projectX });
            if (followsUp(result)) await privateAnswer(ids.bob, before);
            expectCommandAnswered(result);
          }
          await h.service.pollNow();
          await h.service.pollNow();
          h.opentrain.setAccount({
            claimed: true,
            paymentMethod: true,
            scopes: ['payments:read', 'payments:write', 'webhooks:manage'],
            features: { paymentsWrite: true, jobDrafting: true },
          });

          expect(slackMessageFaults(h, before)).toEqual([]);
          expect(uncheckedOpenTrainIds(h)).toEqual([]);
        }),
        fuzz(12),
      );
    },
    fuzzTimeout(60_000),
  );
});
