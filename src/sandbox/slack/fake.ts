import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { createConversations } from './conversations.js';
import { defaultWorkspace, sandboxIds } from './default-workspace.js';
import { deliver, post } from './deliver.js';
import type { SlackFake, SlackFakeOptions } from './fake-api.js';
import { createFaults } from './faults.js';
import { createRouter } from './http-routes.js';
import { createInbound } from './inbound.js';
import { createTsSource } from './message-ts.js';
import { tallyMetadata } from './metadata-tally.js';
import { createRateLimits } from './rate-limits.js';
import { createRecorder } from './recorder.js';
import { createResponseUrls } from './response-url.js';
import { signSlackRequest } from './signing.js';
import { takeSnapshot } from './snapshot.js';
import { createSocketMode } from './socket-mode.js';
import type { EphemeralMessage } from './types.js';
import { createWorkspace } from './workspace.js';

export type { SlackFake, SlackFakeOptions } from './fake-api.js';

/**
 * A local Slack for the end-to-end tests and the sandbox. It plays both of Slack's roles toward the bot:
 * - the Web API the bot calls (`<origin>/api/<method>`, checked and answered like Slack, faults on demand), and
 * - the sender of signed slash commands, button clicks and events, plus the `response_url`s they carry.
 * Everything said is kept as workspace state (messages with edit history, ephemerals, Home views) and every
 * call is recorded, with a change feed so tests can await conditions and a UI can redraw.
 */
export function createSlackFake(options: SlackFakeOptions): SlackFake {
  const { clock } = options;
  const botToken = options.botToken ?? 'xoxb-sandbox-token';
  const appId = options.appId ?? sandboxIds.app;
  // Slack's app-level tokens read "xapp-1-<app id>-<number>-<hex>".
  const appToken = options.appToken ?? `xapp-1-${appId}-1-sandbox`;
  const ackTimeoutMs = options.ackTimeoutMs ?? 3_000;
  const signingSecret = options.signingSecret ?? 'sandbox-signing-secret';
  const recorder = createRecorder();
  const emit = recorder.emit;
  const workspace = createWorkspace({
    clock,
    teamId: options.teamId ?? sandboxIds.team,
    botUserId: options.botUserId ?? sandboxIds.botUser,
    botId: options.botId ?? sandboxIds.bot,
    appId,
    botName: options.botName ?? 'countersign',
    seed: options.workspace ?? defaultWorkspace,
    onChange: () => emit({ type: 'workspace' }),
  });
  const ts = createTsSource(clock);
  const conversations = createConversations({ clock, ts, emit });
  const faults = createFaults(() => emit({ type: 'faults' }));
  const rateLimits = createRateLimits(options.monotonicMs ?? (() => performance.now()), () =>
    emit({ type: 'rate-limits' }),
  );
  const responseUrls = createResponseUrls({ clock, workspace, conversations });
  const shutdown = new AbortController();
  // A private connection pool for deliveries to the app, so close() can drop it without touching anyone else's.
  const dispatcher = new Agent({ keepAliveTimeout: 1_000 });
  let origin: string | undefined;
  let server: Server | undefined;
  let closed = false;

  function currentOrigin(): string {
    if (origin === undefined) throw new Error('Slack fake: call listen() or useOrigin() first');
    return origin;
  }

  const socketMode = createSocketMode({
    appId,
    clock,
    ackTimeoutMs,
    // Slack's Events API redelivers an unacknowledged event almost at once, after about a minute and after five.
    retryDelaysMs: options.eventRetryDelaysMs ?? [0, 60_000, 300_000],
    origin: currentOrigin,
    onChange: () => emit({ type: 'socket' }),
  });
  const api = { workspace, conversations, clock, origin: currentOrigin, socketUrl: socketMode.socketUrl };
  const handle = createRouter({
    api,
    tokens: { bot: botToken, app: appToken },
    clock,
    faults,
    rateLimits,
    recorder,
    responseUrls,
    channelOf: (args) => (typeof args.channel === 'string' ? channelKey(args.channel) : undefined),
    pathPrefix: () => (origin === undefined ? '' : new URL(origin).pathname.replace(/\/$/, '')),
    shutdown: shutdown.signal,
  });
  const mintResponseUrl: Parameters<typeof createInbound>[0]['responseUrl'] = (userId, channelId, source) =>
    `${currentOrigin()}/respond/${responseUrls.mint(userId, channelId, source)}`;
  const inbound = createInbound({
    identity: { workspace, verificationToken: 'sandbox-verification-token' },
    conversations,
    clock,
    ts,
    signingSecret,
    ackTimeoutMs,
    dispatcher,
    transport: options.transport ?? 'http',
    socket: socketMode.deliveries,
    responseUrl: mintResponseUrl,
  });

  /** A user id in `channel` means the bot's DM with them; names resolve to ids, as chat.postMessage does. */
  const channelKey = (arg: string) => workspace.dmChannelOf(arg) ?? workspace.channel(arg)?.id ?? arg;
  const channelIds = () => workspace.channels().map((channel) => channel.id);

  function ephemerals(userId: string, channelId?: string): EphemeralMessage[] {
    const mine = conversations.ephemerals(userId);
    return structuredClone(
      channelId === undefined ? mine : mine.filter((item) => item.channel === channelId),
    );
  }

  return {
    botToken,
    appToken,
    signingSecret,
    teamId: workspace.team.id,
    botUserId: workspace.botUserId,
    botId: workspace.botId,
    appId: workspace.appId,
    get origin() {
      return currentOrigin();
    },
    get apiUrl() {
      return `${currentOrigin()}/api/`;
    },
    async listen(port = 0, host = '127.0.0.1') {
      if (server !== undefined) throw new Error('Slack fake: already listening');
      if (closed) throw new Error('Slack fake: closed; create a new one');
      const created = createServer(handle);
      created.on('upgrade', socketMode.controls.handleUpgrade);
      server = created;
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen(port, host, () => resolve());
      });
      const address = created.address() as AddressInfo;
      origin = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
      return origin;
    },
    useOrigin(value) {
      origin = value.replace(/\/$/, '');
    },
    async close() {
      closed = true;
      shutdown.abort();
      await dispatcher.destroy().catch(() => {});
      await socketMode.close();
      const closing = server;
      server = undefined;
      if (closing === undefined) return;
      // closeAllConnections drops idle keep-alive sockets (the bot's WebClient holds some) so close() returns now.
      const done = new Promise<void>((resolve) => closing.close(() => resolve()));
      closing.closeAllConnections();
      await done;
    },
    handle,
    socketMode: socketMode.controls,
    addUser: (input) => structuredClone(workspace.addUser(input)),
    addChannel: (input) => structuredClone(workspace.addChannel(input)),
    addUsergroup: (input) => structuredClone(workspace.addUsergroup(input)),
    dmChannelOf: (userId) => workspace.dmChannelOf(userId),
    get calls() {
      return recorder.calls();
    },
    callsTo: (method) => recorder.callsTo(method),
    waitForCall: (method, predicate, timeoutMs) => recorder.waitForCall(method, predicate, timeoutMs),
    waitUntil: (probe, timeoutMs, description) => recorder.waitUntil(probe, timeoutMs, description),
    messages: (channelId) => structuredClone(conversations.topLevel(channelId)),
    metadataTally: (field = 'key') => tallyMetadata(channelIds(), conversations, field),
    metadataDuplicates: (field = 'key') =>
      tallyMetadata(channelIds(), conversations, field).filter((entry) => entry.topLevel + entry.replies > 1),
    message: (channelId, messageTs) => structuredClone(conversations.find(channelId, messageTs)),
    ephemerals,
    homeView: (userId) => structuredClone(conversations.home(userId)),
    snapshot: () => takeSnapshot(workspace, conversations, faults),
    onChange: (listener) => recorder.onChange(listener),
    reset() {
      recorder.clear();
      conversations.clear();
      responseUrls.clear();
      faults.clear();
      rateLimits.reset();
      socketMode.deliveries.clearLog();
      workspace.resetConversations();
      emit({ type: 'reset' });
    },
    injectFault: (spec) => faults.inject(spec),
    clearFaults: () => faults.clear(),
    setRateLimits: (specs) => rateLimits.set(specs),
    clearRateLimits: () => rateLimits.clear(),
    rateLimits: () => rateLimits.configured(),
    rateLimitCounters: () => rateLimits.counters(),
    responseUrl: (userId, channelId) => mintResponseUrl(userId, channelId),
    sign: (body, timestampSec) => signSlackRequest(signingSecret, body, timestampSec),
    sendCommand: (sendOptions) => inbound.sendCommand(sendOptions),
    clickButton: (clickOptions) => inbound.clickButton(clickOptions),
    openAppHome: (homeOptions) => inbound.openAppHome(homeOptions),
    sendSigned: (signed) =>
      deliver(
        { signingSecret, ackTimeoutMs, dispatcher },
        {
          url: signed.appUrl,
          body: signed.body,
          contentType: signed.contentType,
          overrides: signed,
          ...(signed.headers === undefined ? {} : { extraHeaders: signed.headers }),
        },
      ),
    replay: (sent) => post({ ackTimeoutMs, dispatcher }, sent),
  };
}
