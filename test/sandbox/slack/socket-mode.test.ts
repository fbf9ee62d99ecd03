import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import type { SlackFake, SlackFakeOptions } from '../../../src/sandbox/slack/fake.js';
import { approvalCard, clientFor, platformError, startFake } from './helpers.js';
import { appClient, connect, openUrl, type RawSocket } from './socket-helpers.js';

describe('Slack fake Socket Mode protocol', () => {
  let fake: SlackFake;
  const sockets: RawSocket[] = [];

  async function start(options: Partial<SlackFakeOptions> = {}): Promise<SlackFake> {
    ({ fake } = await startFake({ transport: 'socket', ackTimeoutMs: 300, ...options }));
    return fake;
  }

  async function open(): Promise<{ socket: RawSocket; hello: Record<string, unknown> }> {
    const socket = await connect(await openUrl(fake));
    sockets.push(socket);
    return { socket, hello: await socket.next() };
  }

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.ws.terminate();
    await fake.close();
  });

  it('opens connections only for the app token, each URL once, and says hello with the connection count', async () => {
    await start();

    const url = await openUrl(fake);
    const first = await connect(url);
    sockets.push(first);
    const hello = await first.next();
    const reused = await new Promise<string>((resolve) => {
      const again = new WebSocket(url);
      again.once('error', (error) => resolve(error.message));
    });
    const second = await open();

    expect(url).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/link/\\?ticket=[0-9a-f]+&app_id=${ids.app}$`));
    expect(hello).toEqual({
      type: 'hello',
      num_connections: 1,
      debug_info: expect.objectContaining({ host: expect.any(String) }),
      connection_info: { app_id: ids.app },
    });
    expect(reused).toMatch(/401/);
    expect(second.hello.num_connections).toBe(2);
    expect(fake.socketMode.openConnections()).toBe(2);
    expect(await platformError(appClient(fake, fake.botToken).apps.connections.open())).toBe(
      'not_allowed_token_type',
    );
    expect(
      await platformError(appClient(fake).chat.postMessage({ channel: ids.financeApprovals, text: 'x' })),
    ).toBe('not_allowed_token_type');
    expect(await platformError(appClient(fake, 'xapp-1-forged').apps.connections.open())).toBe(
      'invalid_auth',
    );
  });

  it('delivers a slash command as an envelope and shows the ack payload as the immediate reply', async () => {
    await start();
    const { socket } = await open();

    const sending = fake.sendCommand({ text: 'M-1001', userId: ids.bob, channelId: ids.financeApprovals });
    const envelope = await socket.next();
    socket.ack(envelope.envelope_id, { text: 'Requesting funding for M-1001…' });
    const result = await sending;

    expect(envelope).toMatchObject({
      type: 'slash_commands',
      accepts_response_payload: true,
      envelope_id: expect.any(String),
      payload: {
        command: '/fund-milestone',
        text: 'M-1001',
        user_id: ids.bob,
        channel_id: ids.financeApprovals,
        is_enterprise_install: 'false',
        response_url: result.responseUrl,
      },
    });
    expect(result).toMatchObject({ status: 200, json: { text: 'Requesting funding for M-1001…' } });
    expect(fake.ephemerals(ids.bob)).toEqual([
      expect.objectContaining({ text: 'Requesting funding for M-1001…', source: 'command_ack' }),
    ]);
    expect(fake.socketMode.deliveries()).toEqual([
      expect.objectContaining({ type: 'slash_commands', outcome: 'acked', ackPayload: result.json }),
    ]);
  });

  it('counts an unacked command as failed after the ack window, like the HTTP path, and never resends it', async () => {
    await start();
    const { socket } = await open();

    const result = await fake.sendCommand({ text: 'M-1', userId: ids.bob, channelId: ids.financeApprovals });
    const missed = await socket.next();
    socket.ack(missed.envelope_id);
    const posted = await clientFor(fake).chat.postMessage({ channel: ids.financeApprovals, text: 'card' });
    const click = fake.clickButton({
      userId: ids.alice,
      channelId: ids.financeApprovals,
      messageTs: posted.ts ?? '',
      actionId: 'x',
      force: true,
    });
    const interactive = await socket.next();
    socket.ack(interactive.envelope_id);
    await click;

    expect(result.failure).toBe('operation_timeout');
    expect(fake.ephemerals(ids.bob).map((item) => item.text)).toEqual([
      '/fund-milestone failed with the error "operation_timeout"',
    ]);
    expect(interactive).toMatchObject({ type: 'interactive', accepts_response_payload: false });
    expect(
      fake.socketMode.deliveries().map((item) => [item.type, item.outcome, item.lateAck ?? false]),
    ).toEqual([
      ['slash_commands', 'timeout', true],
      ['interactive', 'acked', false],
    ]);
  });

  it('redelivers an unacked event with retry_attempt + 1 and retry_reason timeout, up to three times', async () => {
    await start({ eventRetryDelaysMs: [0, 0, 0] });
    const { socket } = await open();

    const first = await fake.openAppHome({ userId: ids.carol });
    const frames = [await socket.next(), await socket.next(), await socket.next(), await socket.next()];
    const last = frames[3];
    socket.ack(last?.envelope_id);
    await fake.waitUntil(() => fake.socketMode.deliveries()[3]?.outcome === 'acked');

    expect(first.failure).toBe('operation_timeout');
    expect(frames.map((frame) => [frame.type, frame.retry_attempt, frame.retry_reason])).toEqual([
      ['events_api', 0, ''],
      ['events_api', 1, 'timeout'],
      ['events_api', 2, 'timeout'],
      ['events_api', 3, 'timeout'],
    ]);
    const payloads = frames.map((frame) => frame.payload as { event_id: string; event: { type: string } });
    expect(new Set(payloads.map((payload) => payload.event_id)).size).toBe(1);
    expect(payloads[0]?.event.type).toBe('app_home_opened');
    expect(new Set(frames.map((frame) => frame.envelope_id)).size).toBe(4);
    expect(fake.socketMode.deliveries().map((item) => item.outcome)).toEqual([
      'timeout',
      'timeout',
      'timeout',
      'acked',
    ]);
  });

  it('fails a delivery at once when the app has no connection open, and reset forgets the log', async () => {
    await start();

    const result = await fake.sendCommand({ text: 'M-1', userId: ids.bob, channelId: ids.financeApprovals });

    const logged = fake.socketMode.deliveries();
    fake.reset();

    expect(result.failure).toBe('connection_failed');
    expect(logged).toEqual([expect.objectContaining({ outcome: 'no_connection' })]);
    expect(fake.socketMode.deliveries()).toEqual([]);
  });

  it('sends disconnect and waits for the app to close, closing for it after the grace period', async () => {
    await start();
    const polite = await open();
    const stubborn = await open();
    const [politeId, stubbornId] = fake.socketMode.connections().map((connection) => connection.id);
    polite.socket.ws.on('message', () => polite.socket.ws.close(1000));

    await fake.socketMode.disconnect({ reason: 'warning', connectionId: politeId });
    await fake.socketMode.disconnect({ reason: 'link_disabled', connectionId: stubbornId, graceMs: 100 });

    expect(await stubborn.socket.next()).toEqual({
      type: 'disconnect',
      reason: 'link_disabled',
      debug_info: { host: expect.any(String) },
    });
    expect(await polite.socket.closed).toBe(1000);
    expect(await stubborn.socket.closed).toBe(1001);
    expect(fake.socketMode.connections().map((connection) => connection.disconnectReason)).toEqual([
      'warning',
      'link_disabled',
    ]);
    expect(fake.socketMode.openConnections()).toBe(0);
  });

  it('drops a connection without a close frame, as a network failure would', async () => {
    await start();
    const { socket } = await open();

    await fake.socketMode.drop();

    expect(await socket.closed).toBe(1006);
    expect(fake.socketMode.connections()[0]).toMatchObject({ closeCode: 1006, closedAt: expect.any(Date) });
  });

  it('sends a button click as an interactive envelope and records debug_reconnects', async () => {
    await start();
    const posted = await clientFor(fake).chat.postMessage({
      channel: ids.financeApprovals,
      text: 'card',
      blocks: approvalCard,
    });
    const socket = await connect(`${await openUrl(fake)}&debug_reconnects=true`);
    sockets.push(socket);
    await socket.next();

    const clicking = fake.clickButton({
      userId: ids.alice,
      channelId: ids.financeApprovals,
      messageTs: posted.ts ?? '',
      actionId: 'open_approval',
    });
    const envelope = await socket.next();
    socket.ack(envelope.envelope_id);

    expect((await clicking).status).toBe(200);
    expect(envelope.payload).toMatchObject({
      type: 'block_actions',
      actions: [{ action_id: 'open_approval' }],
    });
    expect(fake.socketMode.connections()[0]?.debugReconnects).toBe(true);
  });
});
