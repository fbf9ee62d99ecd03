/** Shapes of the Slack fake's state as tests and the sandbox UI see it (camelCase, already decoded). */
import type { Fault } from './faults.js';

export interface FakeTeam {
  id: string;
  name: string;
  domain: string;
}

export interface FakeUser {
  id: string;
  name: string;
  realName: string;
  tz: string;
  isAdmin: boolean;
  isBot: boolean;
}

export type ChannelKind = 'public' | 'private' | 'im';

export interface FakeChannel {
  id: string;
  name: string;
  kind: ChannelKind;
  /** User ids, the bot's included when it is a member. */
  members: string[];
  isArchived: boolean;
  created: Date;
  /** For an `im` channel: the human on the other side of the bot's DM. */
  imUser?: string;
}

export interface FakeUsergroup {
  id: string;
  handle: string;
  name: string;
  users: string[];
}

export interface UserInput {
  id: string;
  name: string;
  realName?: string;
  tz?: string;
  isAdmin?: boolean;
}

export interface ChannelInput {
  id: string;
  name: string;
  isPrivate?: boolean;
  members?: string[];
  botIsMember?: boolean;
  isArchived?: boolean;
}

export interface UsergroupInput {
  id: string;
  handle: string;
  name?: string;
  users: string[];
}

/** Slack's message metadata: an app-defined event type and a free-form payload object. */
export interface FakeMessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/** One earlier version of a message, kept so a UI or a test can show how a card changed. */
export interface MessageRevision {
  text: string;
  blocks: unknown[];
  attachments?: unknown[];
  metadata?: FakeMessageMetadata;
  /** The `ts` of the edit that replaced this revision. */
  replacedAtTs: string;
}

/** Who made a message appear: the Web API, a `response_url`, or a slash command's ack body. */
export type MessageSource =
  | 'chat.postMessage'
  | 'chat.postEphemeral'
  | 'response_url'
  | 'command_ack'
  | 'slack';

export interface FakeMessage {
  channel: string;
  ts: string;
  /** Set on thread replies: the parent's ts. */
  threadTs?: string;
  user: string;
  botId?: string;
  text: string;
  blocks: unknown[];
  attachments?: unknown[];
  metadata?: FakeMessageMetadata;
  /** A thread reply also shown in the channel (chat.postMessage's `reply_broadcast`). */
  broadcast?: boolean;
  edited: boolean;
  /** The `ts` of the latest edit. */
  editedTs?: string;
  history: MessageRevision[];
  replies: FakeMessage[];
  source: MessageSource;
  postedAt: Date;
}

/** A message only one user sees (chat.postEphemeral, response_url, the ack body of a command, Slack's own errors). */
export interface EphemeralMessage {
  channel: string;
  user: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: unknown[];
  attachments?: unknown[];
  source: MessageSource;
  postedAt: Date;
  /** Set when a response_url with `replace_original` rewrote it. */
  replaced: boolean;
}

export interface HomeView {
  user: string;
  id: string;
  hash: string;
  view: Record<string, unknown>;
  publishedAt: Date;
}

export interface ApiCallResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** One request the fake answered: a Web API method, or `response_url` for a POST to a minted response URL. */
export interface ApiCall {
  /** The injected fault this call met, if any. */
  fault?: Fault;
  /** Set when a configured rate limit answered this call 429. */
  rateLimited?: true;
  /** Increases by one per recorded call; use it to wait for calls after a known point. */
  seq: number;
  method: string;
  /** Decoded arguments with nested JSON (blocks, attachments, view) parsed; the token is never recorded. */
  args: Record<string, unknown>;
  at: Date;
  response: ApiCallResponse;
}

export type SlackFakeChange =
  | { type: 'call'; call: ApiCall }
  | { type: 'message'; channel: string; ts: string }
  | { type: 'ephemeral'; channel: string; user: string; ts: string }
  | { type: 'home'; user: string }
  | { type: 'workspace' }
  | { type: 'faults' }
  | { type: 'rate-limits' }
  | { type: 'socket' }
  | { type: 'reset' };

export type ChangeListener = (change: SlackFakeChange) => void;
