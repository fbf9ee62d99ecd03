import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../clock.js';
import type { WorkspaceSeed } from './default-workspace.js';
import type { InboundResult, SentRequest, SigningOverrides } from './deliver.js';
import type { FaultSpecInput } from './faults.js';
import type { ClickButtonOptions, OpenAppHomeOptions, SendCommandOptions } from './inbound.js';
import type { MetadataTally } from './metadata-tally.js';
import type { RateLimit, RateLimitCounters, RateLimitSpecInput } from './rate-limits.js';
import type { SlackSignatureHeaders } from './signing.js';
import type { SlackFakeSnapshot } from './snapshot.js';
import type { SocketModeControls } from './socket-mode.js';
import type { Transport } from './transport.js';
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

// The Slack fake's public shape; `createSlackFake` in fake.ts builds it.

export interface SlackFakeOptions {
  clock: Clock;
  botToken?: string;
  /** The app-level token (`xapp-…`) apps.connections.open accepts; made up when omitted. */
  appToken?: string;
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
  /**
   * How sendCommand, clickButton and openAppHome reach the app unless a call says otherwise: signed HTTP to its
   * `appUrl` (default), or envelopes over the Socket Mode connection the app opened.
   */
  transport?: Transport;
  /** Socket Mode: the delays before each redelivery of an unacked event (default 0, 60 s, 300 s, as Slack). */
  eventRetryDelaysMs?: readonly number[];
  /**
   * Real elapsed time in milliseconds (default `performance.now()`), for rate-limit buckets and Retry-After
   * windows, which follow real time rather than the shiftable `clock`. Tests may pass their own to step it.
   */
  monotonicMs?: () => number;
}

export interface SlackFake {
  readonly botToken: string;
  /** The app-level token for Socket Mode (App's `appToken`). */
  readonly appToken: string;
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
  /** Socket Mode: connections, envelopes sent and their acks, disconnects. */
  readonly socketMode: SocketModeControls;

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
  /**
   * For each value of `metadata.event_payload[field]` (default `key`) on a message that exists now, in any
   * channel or DM: how many top-level messages and thread replies carry it, and where they are.
   */
  metadataTally(field?: string): MetadataTally[];
  /** The entries of `metadataTally(field)` carried by more than one message: `[]` means nothing was doubled. */
  metadataDuplicates(field?: string): MetadataTally[];
  message(channelId: string, ts: string): FakeMessage | undefined;
  ephemerals(userId: string, channelId?: string): EphemeralMessage[];
  homeView(userId: string): HomeView | undefined;
  snapshot(): SlackFakeSnapshot;
  onChange(listener: ChangeListener): () => void;
  /**
   * Forgets messages, ephemerals, Home views, response URLs, calls, faults, rate limits and their counters, and
   * the log of Socket Mode deliveries; people, channels and open Socket Mode connections stay.
   */
  reset(): void;

  injectFault(spec: FaultSpecInput): void;
  clearFaults(): void;
  /** Replaces the rate limits (none by default; `slackRateLimits` holds Slack's published ones). */
  setRateLimits(specs: readonly RateLimitSpecInput[]): void;
  clearRateLimits(): void;
  rateLimits(): RateLimit[];
  /** Per method: the 429s sent (limits and injected faults) and the calls made inside a Retry-After sent before. */
  rateLimitCounters(): Record<string, RateLimitCounters>;

  /** Mints a response_url for `userId` in `channelId`, as Slack does for each command and click. */
  responseUrl(userId: string, channelId: string): string;
  sign(body: string, timestampSec?: number): SlackSignatureHeaders;
  sendCommand(options: SendCommandOptions): Promise<InboundResult & { responseUrl: string }>;
  clickButton(options: ClickButtonOptions): Promise<InboundResult & { responseUrl: string }>;
  openAppHome(options: OpenAppHomeOptions): Promise<InboundResult & { eventId: string }>;
  /**
   * Signs `body` and POSTs it to `appUrl` as Slack would, whatever it holds: for payloads Slack itself would
   * never send (a command without channel_id, a repeated field). `headers` are added after the signature.
   */
  sendSigned(options: SendSignedOptions): Promise<InboundResult>;
  /**
   * Sends a request delivered before (`result.sent` of sendCommand, clickButton, openAppHome or sendSigned)
   * again, byte for byte with its original timestamp and signature: a replay by whoever captured it.
   */
  replay(sent: SentRequest): Promise<InboundResult>;
}

export interface SendSignedOptions extends SigningOverrides {
  appUrl: string;
  body: string;
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
  headers?: Record<string, string>;
}
