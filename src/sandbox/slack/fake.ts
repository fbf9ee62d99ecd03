import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import type { Clock } from '../../clock.js';
import { createConversations } from './conversations.js';
import { defaultWorkspace, sandboxIds, type WorkspaceSeed } from './default-workspace.js';
import type { InboundResult } from './deliver.js';
import { createFaults, type FaultSpecInput } from './faults.js';
import { createRouter } from './http-routes.js';
import {
  type ClickButtonOptions,
  createInbound,
  type OpenAppHomeOptions,
  type SendCommandOptions,
} from './inbound.js';
import { createTsSource } from './message-ts.js';
import { createRecorder } from './recorder.js';
import { createResponseUrls } from './response-url.js';
import { type SlackSignatureHeaders, signSlackRequest } from './signing.js';
import { type SlackFakeSnapshot, takeSnapshot } from './snapshot.js';
import type {
  ApiCall,
  ChangeListener,
  ChannelInput,
  EphemeralMessage,
  FakeChannel,
  FakeMessage,
  FakeUser,
  FakeUsergroup,
  HomeView,
  UsergroupInput,
  UserInput,
} from './types.js';
import { createWorkspace } from './workspace.js';

export interface SlackFakeOptions {
  clock: Clock;
  botToken?: string;
  signingSecret?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  botName?: string;
  /** Who and what exists at the start; defaults to `defaultWorkspace`. */
  workspace?: WorkspaceSeed;
  /** How long Slack waits for the app's ack before it gives up (3 s in Slack). */
  ackTimeoutMs?: number;
}

export interface SlackFake {
  readonly botToken: string;
  readonly signingSecret: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  /** `http://127.0.0.1:<port>` once listening (or whatever `useOrigin` set). */
  readonly origin: string;
  /** `<origin>/api/`: what the bot sets as its WebClient's slackApiUrl. */
  readonly apiUrl: string;
  listen(port?: number, host?: string): Promise<string>;
  /** For a fake mounted with `handle` on another server: the public origin, path prefix included. */
  useOrigin(origin: string): void;
  close(): Promise<void>;
  handle(req: IncomingMessage, res: ServerResponse): void;

  addUser(input: UserInput): FakeUser;
  addChannel(input: ChannelInput): FakeChannel;
  addUsergroup(input: UsergroupInput): FakeUsergroup;
  dmChannelOf(userId: string): string | undefined;

  readonly calls: ApiCall[];
  callsTo(method: string): ApiCall[];
  /** Resolves with the first recorded call (past or future) to `method` that satisfies `predicate`. */
  waitForCall(method: string, predicate?: (call: ApiCall) => boolean, timeoutMs?: number): Promise<ApiCall>;
  /** Resolves with the first truthy result of `probe`, re-checked on every change. */
  waitUntil<T>(probe: () => T | undefined | false, timeoutMs?: number, description?: string): Promise<T>;
  /** Top-level messages, oldest first, each with its replies and edit history. */
  messages(channelId: string): FakeMessage[];
  message(channelId: string, ts: string): FakeMessage | undefined;
  ephemerals(userId: string, channelId?: string): EphemeralMessage[];
  homeView(userId: string): HomeView | undefined;
  snapshot(): SlackFakeSnapshot;
  onChange(listener: ChangeListener): () => void;
  /** Forgets messages, ephemerals, Home views, response URLs, calls and faults; people and channels stay. */
  reset(): void;

  injectFault(spec: FaultSpecInput): void;
  clearFaults(): void;

  /** Mints a response_url for `userId` in `channelId`, as Slack does for each command and click. */
  responseUrl(userId: string, channelId: string): string;
  sign(body: string, timestampSec?: number): SlackSignatureHeaders;
  sendCommand(options: SendCommandOptions): Promise<InboundResult & { responseUrl: string }>;
  clickButton(options: ClickButtonOptions): Promise<InboundResult & { responseUrl: string }>;
  openAppHome(options: OpenAppHomeOptions): Promise<InboundResult & { eventId: string }>;
}

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
  const signingSecret = options.signingSecret ?? 'sandbox-signing-secret';
  const recorder = createRecorder();
  const emit = recorder.emit;
  const workspace = createWorkspace({
    clock,
    teamId: options.teamId ?? sandboxIds.team,
    botUserId: options.botUserId ?? sandboxIds.botUser,
    botId: options.botId ?? sandboxIds.bot,
    appId: options.appId ?? sandboxIds.app,
    botName: options.botName ?? 'countersign',
    seed: options.workspace ?? defaultWorkspace,
    onChange: () => emit({ type: 'workspace' }),
  });
  const ts = createTsSource(clock);
  const conversations = createConversations({ clock, ts, emit });
  const faults = createFaults(() => emit({ type: 'faults' }));
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

  const api = { workspace, conversations, clock, origin: currentOrigin };
  const handle = createRouter({
    api,
    botToken,
    faults,
    recorder,
    responseUrls,
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
    ackTimeoutMs: options.ackTimeoutMs ?? 3_000,
    dispatcher,
    responseUrl: mintResponseUrl,
  });

  function ephemerals(userId: string, channelId?: string): EphemeralMessage[] {
    const mine = conversations.ephemerals(userId);
    return structuredClone(
      channelId === undefined ? mine : mine.filter((item) => item.channel === channelId),
    );
  }

  return {
    botToken,
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
      const closing = server;
      server = undefined;
      if (closing === undefined) return;
      // closeAllConnections drops idle keep-alive sockets (the bot's WebClient holds some) so close() returns now.
      const done = new Promise<void>((resolve) => closing.close(() => resolve()));
      closing.closeAllConnections();
      await done;
    },
    handle,
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
      workspace.resetConversations();
      emit({ type: 'reset' });
    },
    injectFault: (spec) => faults.inject(spec),
    clearFaults: () => faults.clear(),
    responseUrl: (userId, channelId) => mintResponseUrl(userId, channelId),
    sign: (body, timestampSec) => signSlackRequest(signingSecret, body, timestampSec),
    sendCommand: (sendOptions) => inbound.sendCommand(sendOptions),
    clickButton: (clickOptions) => inbound.clickButton(clickOptions),
    openAppHome: (homeOptions) => inbound.openAppHome(homeOptions),
  };
}
