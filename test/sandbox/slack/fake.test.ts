import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../../src/clock.js';
import { emptyWorkspace, sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import { createSlackFake } from '../../../src/sandbox/slack/fake.js';
import type { SlackFakeChange } from '../../../src/sandbox/slack/types.js';
import { clientFor, startFake } from './helpers.js';

describe('Slack fake lifecycle and observation', () => {
  it('waits for a call that has not happened yet, and for one that already did', async () => {
    const { fake } = await startFake();
    const client = clientFor(fake);

    const waiting = fake.waitForCall('chat.postMessage', (call) => call.args.text === 'second');
    await client.chat.postMessage({ channel: ids.financeApprovals, text: 'first' });
    await client.chat.postMessage({ channel: ids.financeApprovals, text: 'second' });
    const call = await waiting;
    const past = await fake.waitForCall('chat.postMessage');

    expect(call.args.text).toBe('second');
    expect(past.args.text).toBe('first');
    await fake.close();
  });

  it('gives up waiting with a list of the calls it did see', async () => {
    const { fake } = await startFake();
    await clientFor(fake).auth.test();

    await expect(fake.waitForCall('views.publish', undefined, 20)).rejects.toThrow(
      /calls so far: auth\.test/,
    );
    await fake.close();
  });

  it('streams changes to listeners until they unsubscribe', async () => {
    const { fake } = await startFake();
    const changes: SlackFakeChange['type'][] = [];
    const unsubscribe = fake.onChange((change) => changes.push(change.type));

    await clientFor(fake).chat.postMessage({ channel: ids.financeApprovals, text: 'hello' });
    unsubscribe();
    await clientFor(fake).chat.postMessage({ channel: ids.financeApprovals, text: 'unseen' });

    expect(changes).toEqual(['message', 'call']);
    await fake.close();
  });

  it('resets conversations, calls and faults but keeps the people and channels', async () => {
    const { fake } = await startFake();
    const client = clientFor(fake);
    fake.addUser({ id: 'U0ERIN', name: 'erin' });
    await client.chat.postMessage({ channel: ids.financeApprovals, text: 'hello' });
    fake.injectFault({ status: 500 });

    fake.reset();

    expect(fake.messages(ids.financeApprovals)).toEqual([]);
    expect(fake.calls).toEqual([]);
    expect((await client.users.info({ user: 'U0ERIN' })).ok).toBe(true);
    await fake.close();
  });

  it('lets tests build their own workspace and let the bot into a channel later', async () => {
    const { fake } = await startFake({ workspace: emptyWorkspace });
    const client = clientFor(fake);
    fake.addUser({ id: 'U0ZED', name: 'zed' });
    fake.addChannel({ id: 'C0PRIV', name: 'priv', isPrivate: true, members: ['U0ZED'] });

    const before = await client.chat
      .postMessage({ channel: 'C0PRIV', text: 'x' })
      .catch((error: unknown) => error);
    fake.addChannel({ id: 'C0PRIV', name: 'priv', isPrivate: true, members: ['U0ZED'], botIsMember: true });
    const after = await client.chat.postMessage({ channel: '#priv', text: 'x' });

    expect(before).toMatchObject({ data: { error: 'not_in_channel' } });
    expect(after.channel).toBe('C0PRIV');
    expect(fake.snapshot().users.map((user) => user.id)).toEqual([ids.botUser, 'U0ZED']);
    await fake.close();
  });

  it('can be mounted on another server under a path prefix', async () => {
    const fake = createSlackFake({ clock: new ShiftableClock() });
    const host = createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const { port } = host.address() as AddressInfo;
    fake.useOrigin(`http://127.0.0.1:${port}/slack`);

    const posted = await clientFor(fake).chat.postMessage({ channel: ids.financeApprovals, text: 'mounted' });
    const link = await clientFor(fake).chat.getPermalink({
      channel: ids.financeApprovals,
      message_ts: posted.ts ?? '',
    });
    const opened = await fetch(link.permalink ?? '');

    expect(fake.apiUrl).toBe(`http://127.0.0.1:${port}/slack/api/`);
    expect(await opened.json()).toMatchObject({ ok: true, message: { text: 'mounted' } });
    host.closeAllConnections();
    await new Promise<void>((resolve) => host.close(() => resolve()));
    await fake.close();
  });
});
