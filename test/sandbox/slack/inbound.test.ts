import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import type { SlackFake } from '../../../src/sandbox/slack/fake.js';
import {
  approvalCard,
  clientFor,
  type RecordingApp,
  startFake,
  startRecordingApp,
  verifies,
} from './helpers.js';

describe('Slack fake inbound deliveries', () => {
  let fake: SlackFake;
  let app: RecordingApp;

  beforeEach(async () => {
    ({ fake } = await startFake({ ackTimeoutMs: 300 }));
  });

  afterEach(async () => {
    await app.close();
    await fake.close();
  });

  it('sends a slash command form-encoded and signed exactly like Slack', async () => {
    app = await startRecordingApp();

    const result = await fake.sendCommand({
      appUrl: app.url,
      text: '123 <#C0FINANCE|finance-approvals>',
      userId: ids.bob,
      channelId: ids.financeApprovals,
    });
    const request = await app.nextRequest();

    expect(result.status).toBe(200);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(verifies(fake, request.body, request.headers)).toBe(true);
    const fields = Object.fromEntries(new URLSearchParams(request.body));
    expect(Object.keys(fields)).toEqual([
      'token',
      'team_id',
      'team_domain',
      'channel_id',
      'channel_name',
      'user_id',
      'user_name',
      'command',
      'text',
      'api_app_id',
      'is_enterprise_install',
      'response_url',
      'trigger_id',
    ]);
    expect(fields).toMatchObject({
      team_id: ids.team,
      channel_id: ids.financeApprovals,
      channel_name: 'finance-approvals',
      user_id: ids.bob,
      user_name: 'bob',
      command: '/fund-milestone',
      text: '123 <#C0FINANCE|finance-approvals>',
      response_url: result.responseUrl,
    });
    expect(fake.ephemerals(ids.bob)).toEqual([]);
  });

  it('shows the ack body to the invoker as an ephemeral reply', async () => {
    app = await startRecordingApp(() => ({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ text: 'Requesting funding for 123…' }),
    }));

    await fake.sendCommand({
      appUrl: app.url,
      text: '123',
      userId: ids.bob,
      channelId: ids.financeApprovals,
    });

    expect(fake.ephemerals(ids.bob)).toEqual([
      expect.objectContaining({ text: 'Requesting funding for 123…', source: 'command_ack' }),
    ]);
  });

  it('never lets the response_url replace the ephemeral the ack body showed, as real Slack does not (bolt-js #2287)', async () => {
    app = await startRecordingApp(() => ({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ text: 'Working on it…' }),
    }));
    const result = await fake.sendCommand({
      appUrl: app.url,
      text: '123',
      userId: ids.bob,
      channelId: ids.financeApprovals,
    });

    const respond = (body: unknown) =>
      fetch(result.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await respond({ text: 'Progress', replace_original: true });
    await respond({ text: 'Outcome', replace_original: true });

    // The ack's ephemeral stays; the first response_url message is new, and only it is replaced.
    expect(fake.ephemerals(ids.bob)).toEqual([
      expect.objectContaining({ text: 'Working on it…', source: 'command_ack', replaced: false }),
      expect.objectContaining({ text: 'Outcome', source: 'response_url', replaced: true }),
    ]);
  });

  it("shows Slack's own error when the app refuses the request or misses the ack window", async () => {
    let answer: 'refuse' | 'hang' = 'refuse';
    app = await startRecordingApp(() => (answer === 'hang' ? 'hang' : { status: 401 }));

    const refused = await fake.sendCommand({
      appUrl: app.url,
      text: '1',
      userId: ids.bob,
      channelId: ids.financeApprovals,
      signature: 'v0=forged',
    });
    answer = 'hang';
    const late = await fake.sendCommand({
      appUrl: app.url,
      text: '2',
      userId: ids.bob,
      channelId: ids.financeApprovals,
    });

    expect(app.received[0]?.headers['x-slack-signature']).toBe('v0=forged');
    expect(refused.status).toBe(401);
    expect(late.failure).toBe('operation_timeout');
    expect(fake.ephemerals(ids.bob).map((item) => item.text)).toEqual([
      '/fund-milestone failed with the error "dispatch_failed"',
      '/fund-milestone failed with the error "operation_timeout"',
    ]);
  });

  it('signs with a stale timestamp on request', async () => {
    app = await startRecordingApp();
    const stale = Math.floor(Date.now() / 1000) - 600;

    await fake.sendCommand({
      appUrl: app.url,
      text: '1',
      userId: ids.bob,
      channelId: ids.financeApprovals,
      timestampSec: stale,
    });
    const request = await app.nextRequest();

    expect(request.headers['x-slack-request-timestamp']).toBe(String(stale));
    expect(verifies(fake, request.body, request.headers)).toBe(false);
  });

  it('refuses to run a command for someone who is not in the channel', async () => {
    app = await startRecordingApp();

    const attempt = fake.sendCommand({
      appUrl: app.url,
      text: '1',
      userId: ids.dan,
      channelId: ids.financeApprovals,
    });

    await expect(attempt).rejects.toThrow(/not in/);
  });

  it('sends a block_actions payload for a button on a posted message', async () => {
    app = await startRecordingApp();
    const client = clientFor(fake);
    const posted = await client.chat.postMessage({
      channel: ids.financeApprovals,
      text: 'card',
      blocks: approvalCard,
    });

    await fake.clickButton({
      appUrl: app.url,
      userId: ids.alice,
      channelId: ids.financeApprovals,
      messageTs: posted.ts ?? '',
      actionId: 'open_approval',
    });
    const request = await app.nextRequest();

    expect(verifies(fake, request.body, request.headers)).toBe(true);
    const payload = JSON.parse(new URLSearchParams(request.body).get('payload') ?? '{}');
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: ids.alice, username: 'alice' },
      team: { id: ids.team },
      channel: { id: ids.financeApprovals },
      container: {
        type: 'message',
        message_ts: posted.ts,
        channel_id: ids.financeApprovals,
        is_ephemeral: false,
      },
      message: { ts: posted.ts, bot_id: ids.bot },
      actions: [
        {
          type: 'button',
          action_id: 'open_approval',
          block_id: 'approval:apr_1',
          value: 'apr_1',
          url: 'https://opentrain.example/approve/apr_1',
        },
      ],
    });
    expect(payload.response_url).toMatch(new RegExp(`^${fake.origin}/respond/`));
    await expect(
      fake.clickButton({
        appUrl: app.url,
        userId: ids.alice,
        channelId: ids.financeApprovals,
        messageTs: posted.ts ?? '',
        actionId: 'gone',
      }),
    ).rejects.toThrow(/no button/);
  });

  it('sends app_home_opened as a signed JSON event with a unique event_id, and plays retries', async () => {
    app = await startRecordingApp();

    const first = await fake.openAppHome({ appUrl: app.url, userId: ids.bob });
    const second = await fake.openAppHome({ appUrl: app.url, userId: ids.bob });
    await fake.openAppHome({ appUrl: app.url, userId: ids.bob, eventId: first.eventId, retryNum: 1 });
    const [one, , retry] = app.received;

    expect(first.eventId).not.toBe(second.eventId);
    expect(one?.headers['content-type']).toBe('application/json');
    expect(verifies(fake, one?.body ?? '', one?.headers ?? {})).toBe(true);
    expect(JSON.parse(one?.body ?? '{}')).toMatchObject({
      type: 'event_callback',
      team_id: ids.team,
      event_id: first.eventId,
      event: { type: 'app_home_opened', user: ids.bob, tab: 'home', channel: fake.dmChannelOf(ids.bob) },
    });
    expect(retry?.headers).toMatchObject({
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    });
    expect(JSON.parse(retry?.body ?? '{}').event_id).toBe(first.eventId);
  });
});
