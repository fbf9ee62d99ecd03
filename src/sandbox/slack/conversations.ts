import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { TsSource } from './message-ts.js';
import type {
  EphemeralMessage,
  FakeMessage,
  FakeMessageMetadata,
  HomeView,
  MessageSource,
  SlackFakeChange,
} from './types.js';

export interface MessageContent {
  text: string;
  blocks: unknown[];
  attachments?: unknown[];
}

export interface NewMessage extends MessageContent {
  channel: string;
  user: string;
  botId?: string;
  metadata?: FakeMessageMetadata;
  /** The parent's ts; the caller has already checked that the parent exists. */
  threadTs?: string;
  /** With threadTs: the reply is also shown in the channel. */
  broadcast?: boolean;
  source: MessageSource;
}

export interface NewEphemeral extends MessageContent {
  channel: string;
  user: string;
  threadTs?: string;
  source: MessageSource;
}

/** Everything said in the workspace: channel messages with their threads, ephemerals, and App Home views. */
export interface Conversations {
  post(input: NewMessage): FakeMessage;
  /** A top-level message or a thread reply. */
  find(channel: string, ts: string): FakeMessage | undefined;
  /**
   * Replaces the content the way chat.update does and keeps the old version in `history`. Metadata is replaced
   * only when given: chat.update without `metadata` keeps the message's metadata.
   */
  edit(message: FakeMessage, content: MessageContent, metadata?: FakeMessageMetadata): void;
  remove(channel: string, ts: string): boolean;
  topLevel(channel: string): FakeMessage[];
  postEphemeral(input: NewEphemeral): EphemeralMessage;
  findEphemeral(user: string, ts: string): EphemeralMessage | undefined;
  replaceEphemeral(ephemeral: EphemeralMessage, content: MessageContent): void;
  removeEphemeral(user: string, ts: string): boolean;
  ephemerals(user: string): EphemeralMessage[];
  publishHome(user: string, view: Record<string, unknown>): HomeView;
  home(user: string): HomeView | undefined;
  clear(): void;
}

export function createConversations(options: {
  clock: Clock;
  ts: TsSource;
  emit: (change: SlackFakeChange) => void;
}): Conversations {
  const { clock, ts, emit } = options;
  const byChannel = new Map<string, FakeMessage[]>();
  const index = new Map<string, FakeMessage>();
  const ephemeralsByUser = new Map<string, EphemeralMessage[]>();
  const homes = new Map<string, HomeView>();
  let viewSeq = 0;

  const key = (channel: string, messageTs: string) => `${channel}/${messageTs}`;

  function post(input: NewMessage): FakeMessage {
    const message: FakeMessage = {
      channel: input.channel,
      ts: ts.next(),
      ...(input.threadTs === undefined ? {} : { threadTs: input.threadTs }),
      user: input.user,
      ...(input.botId === undefined ? {} : { botId: input.botId }),
      text: input.text,
      blocks: input.blocks,
      ...(input.attachments === undefined ? {} : { attachments: input.attachments }),
      ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
      ...(input.broadcast === true && input.threadTs !== undefined ? { broadcast: true } : {}),
      edited: false,
      history: [],
      replies: [],
      source: input.source,
      postedAt: clock.now(),
    };
    const parent = input.threadTs === undefined ? undefined : index.get(key(input.channel, input.threadTs));
    if (parent === undefined) {
      const list = byChannel.get(input.channel) ?? [];
      list.push(message);
      byChannel.set(input.channel, list);
    } else {
      parent.replies.push(message);
    }
    index.set(key(message.channel, message.ts), message);
    emit({ type: 'message', channel: message.channel, ts: message.ts });
    return message;
  }

  function edit(message: FakeMessage, content: MessageContent, metadata?: FakeMessageMetadata): void {
    const editTs = ts.next();
    message.history.push({
      text: message.text,
      blocks: message.blocks,
      ...(message.attachments === undefined ? {} : { attachments: message.attachments }),
      ...(message.metadata === undefined ? {} : { metadata: message.metadata }),
      replacedAtTs: editTs,
    });
    if (metadata !== undefined) message.metadata = metadata;
    message.text = content.text;
    message.blocks = content.blocks;
    if (content.attachments === undefined) delete message.attachments;
    else message.attachments = content.attachments;
    message.edited = true;
    message.editedTs = editTs;
    emit({ type: 'message', channel: message.channel, ts: message.ts });
  }

  function remove(channel: string, messageTs: string): boolean {
    const message = index.get(key(channel, messageTs));
    if (message === undefined) return false;
    index.delete(key(channel, messageTs));
    const siblings =
      message.threadTs === undefined
        ? byChannel.get(channel)
        : index.get(key(channel, message.threadTs))?.replies;
    if (siblings !== undefined) siblings.splice(siblings.indexOf(message), 1);
    emit({ type: 'message', channel, ts: messageTs });
    return true;
  }

  function postEphemeral(input: NewEphemeral): EphemeralMessage {
    const ephemeral: EphemeralMessage = {
      channel: input.channel,
      user: input.user,
      ts: ts.next(),
      ...(input.threadTs === undefined ? {} : { threadTs: input.threadTs }),
      text: input.text,
      blocks: input.blocks,
      ...(input.attachments === undefined ? {} : { attachments: input.attachments }),
      source: input.source,
      postedAt: clock.now(),
      replaced: false,
    };
    const list = ephemeralsByUser.get(input.user) ?? [];
    list.push(ephemeral);
    ephemeralsByUser.set(input.user, list);
    emit({ type: 'ephemeral', channel: ephemeral.channel, user: ephemeral.user, ts: ephemeral.ts });
    return ephemeral;
  }

  function replaceEphemeral(ephemeral: EphemeralMessage, content: MessageContent): void {
    ephemeral.text = content.text;
    ephemeral.blocks = content.blocks;
    if (content.attachments === undefined) delete ephemeral.attachments;
    else ephemeral.attachments = content.attachments;
    ephemeral.replaced = true;
    emit({ type: 'ephemeral', channel: ephemeral.channel, user: ephemeral.user, ts: ephemeral.ts });
  }

  function removeEphemeral(user: string, ephemeralTs: string): boolean {
    const list = ephemeralsByUser.get(user) ?? [];
    const at = list.findIndex((candidate) => candidate.ts === ephemeralTs);
    if (at < 0) return false;
    const [removed] = list.splice(at, 1);
    if (removed !== undefined) emit({ type: 'ephemeral', channel: removed.channel, user, ts: ephemeralTs });
    return true;
  }

  function publishHome(user: string, view: Record<string, unknown>): HomeView {
    viewSeq += 1;
    const home: HomeView = {
      user,
      id: homes.get(user)?.id ?? `V${String(viewSeq).padStart(8, '0')}`,
      // views.publish's `hash` guards against overwriting a newer view; any value that changes per publish will do.
      hash: createHash('sha1')
        .update(`${user}:${viewSeq}:${JSON.stringify(view)}`)
        .digest('hex')
        .slice(0, 20),
      view,
      publishedAt: clock.now(),
    };
    homes.set(user, home);
    emit({ type: 'home', user });
    return home;
  }

  return {
    post,
    find: (channel, messageTs) => index.get(key(channel, messageTs)),
    edit,
    remove,
    topLevel: (channel) => byChannel.get(channel) ?? [],
    postEphemeral,
    findEphemeral: (user, ephemeralTs) =>
      ephemeralsByUser.get(user)?.find((candidate) => candidate.ts === ephemeralTs),
    replaceEphemeral,
    removeEphemeral,
    ephemerals: (user) => ephemeralsByUser.get(user) ?? [],
    publishHome,
    home: (user) => homes.get(user),
    clear() {
      byChannel.clear();
      index.clear();
      ephemeralsByUser.clear();
      homes.clear();
    },
  };
}
