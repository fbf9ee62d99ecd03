import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ShiftableClock } from '../../../src/clock.js';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import type { SlackFake } from '../../../src/sandbox/slack/fake.js';
import { clientFor, startFake, startRecordingApp } from './helpers.js';

async function respond(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('Slack fake response_url', () => {
  let fake: SlackFake;
  let clock: ShiftableClock;

  beforeEach(async () => {
    ({ fake, clock } = await startFake());
  });

  afterEach(async () => {
    await fake.close();
  });

  it('shows a reply only to the user it was minted for, in that channel', async () => {
    const url = fake.responseUrl(ids.bob, ids.financeApprovals);

    const answer = await respond(url, { text: 'Requesting funding for 123…' });

    expect(url.startsWith(`${fake.origin}/respond/`)).toBe(true);
    expect(answer).toEqual({ status: 200, body: { ok: true } });
    expect(fake.ephemerals(ids.bob, ids.financeApprovals)).toEqual([
      expect.objectContaining({
        text: 'Requesting funding for 123…',
        source: 'response_url',
        replaced: false,
      }),
    ]);
    expect(fake.ephemerals(ids.alice)).toEqual([]);
    expect(fake.messages(ids.financeApprovals)).toEqual([]);
    expect(fake.callsTo('response_url')[0]?.args).toMatchObject({
      text: 'Requesting funding for 123…',
      user: ids.bob,
    });
  });

  it('replaces the previous ephemeral from the same URL with replace_original', async () => {
    const url = fake.responseUrl(ids.bob, ids.financeApprovals);

    await respond(url, { text: 'Working on it…' });
    await respond(url, { text: 'Posted the approval card', replace_original: true });

    expect(fake.ephemerals(ids.bob)).toEqual([
      expect.objectContaining({ text: 'Posted the approval card', replaced: true }),
    ]);
  });

  it('posts for everyone with response_type in_channel', async () => {
    const url = fake.responseUrl(ids.bob, ids.financeApprovals);

    await respond(url, { text: 'Funding requested', response_type: 'in_channel' });

    expect(fake.messages(ids.financeApprovals)).toEqual([
      expect.objectContaining({ text: 'Funding requested', user: ids.botUser, source: 'response_url' }),
    ]);
  });

  it('allows 5 uses and then answers 404 used_url', async () => {
    const url = fake.responseUrl(ids.bob, ids.financeApprovals);

    const statuses: number[] = [];
    for (let use = 1; use <= 5; use += 1)
      statuses.push((await respond(url, { text: `reply ${use}` })).status);
    const sixth = await respond(url, { text: 'one too many' });

    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(sixth).toEqual({ status: 404, body: { ok: false, error: 'used_url' } });
    expect(fake.ephemerals(ids.bob)).toHaveLength(5);
  });

  it('expires 30 minutes after it was minted, on the injected clock', async () => {
    const url = fake.responseUrl(ids.bob, ids.financeApprovals);

    clock.advance(30 * 60 * 1000 + 1);
    const late = await respond(url, { text: 'too late' });

    expect(late).toEqual({ status: 404, body: { ok: false, error: 'expired_url' } });
  });

  it('refuses bodies without content and URLs it never minted', async () => {
    const url = fake.responseUrl(ids.bob, ids.financeApprovals);

    const empty = await respond(url, {});
    const unknown = await respond(`${fake.origin}/respond/T0SANDBOX/nope/nope`, { text: 'x' });

    expect(empty).toEqual({ status: 400, body: { ok: false, error: 'no_text' } });
    expect(unknown.status).toBe(404);
  });

  it('can fail on purpose when a fault names response_url', async () => {
    const url = fake.responseUrl(ids.bob, ids.financeApprovals);
    fake.injectFault({ method: 'response_url', status: 500 });

    const failed = await respond(url, { text: 'x' });
    const retried = await respond(url, { text: 'x' });

    expect(failed.status).toBe(500);
    expect(retried.status).toBe(200);
  });

  it('edits the clicked message when a block_actions response_url replaces the original', async () => {
    const client = clientFor(fake);
    const posted = await client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' });
    const app = await startRecordingApp();
    const blocks = [
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'ack', value: 'v', text: { type: 'plain_text', text: 'OK' } },
        ],
      },
    ];
    await client.chat.update({ channel: ids.financeApprovals, ts: posted.ts ?? '', text: 'card', blocks });

    const click = await fake.clickButton({
      appUrl: app.url,
      userId: ids.alice,
      channelId: ids.financeApprovals,
      messageTs: posted.ts ?? '',
      actionId: 'ack',
    });
    await respond(click.responseUrl, { text: 'Handled', replace_original: true });
    await app.close();

    expect(fake.message(ids.financeApprovals, posted.ts ?? '')).toMatchObject({
      text: 'Handled',
      blocks: [],
    });
  });
});
