import type { TerminalStatus, WorkspaceId } from './approval.js';
import type { CardProblem, FundingRequest, Refusal, ReplyTarget } from './funding.js';
import type { RouteScope } from './routing.js';

/**
 * Every side effect Countersign has, as data. Each is stored on one durable queue under a unique key before it
 * is carried out, so it is retried until it lands and never done twice; messages are described, not
 * rendered, and rendered from the current state when they are sent.
 */
export type Effect =
  | { readonly kind: 'fund'; readonly request: FundingRequest }
  /** Post the approval's card, or edit it to show the approval's current version. */
  | { readonly kind: 'card'; readonly approvalId: string }
  /** Republish the Home tabs of everyone who sees this approval (its requester, its channel's members). */
  | { readonly kind: 'homes'; readonly approvalId: string }
  | { readonly kind: 'home'; readonly userId: string }
  | { readonly kind: 'reply'; readonly to: ReplyTarget; readonly reply: Reply }
  | { readonly kind: 'dm'; readonly approvalId: string; readonly userId: string; readonly message: Direct }
  | { readonly kind: 'thread'; readonly approvalId: string; readonly purpose: 'outcome' | 'reminder' }
  | { readonly kind: 'notice'; readonly channelId: string; readonly notice: Notice };

export type EffectKind = Effect['kind'];
export type EffectOf<K extends EffectKind> = Extract<Effect, { kind: K }>;

/** What the private reply to a request says; rendered when sent, from the approval as it is then. */
export type Reply =
  /**
   * "Still asking OpenTrain…": the progress line a request's reply shows when its outcome is not ready within
   * a couple of seconds. Queued under the request's reply key, not due until then; the outcome re-arms the
   * same key (replyOutcomeEffect), so it replaces this line or goes out instead of it.
   */
  | { readonly kind: 'working'; readonly milestoneId: string }
  | { readonly kind: 'requester-refused' }
  | { readonly kind: 'permission-check-failed' }
  | {
      readonly kind: 'funding-requested';
      readonly approvalId: string;
      readonly cardProblem: CardProblem | null;
    }
  | { readonly kind: 'already-pending'; readonly approvalId: string }
  | { readonly kind: 'unrouted'; readonly milestoneId: string }
  | { readonly kind: 'refused'; readonly milestoneId: string; readonly refusal: Refusal }
  | { readonly kind: 'internal-error'; readonly milestoneId: string }
  /** Whether OpenTrain recorded the request is unknown, and asking again could make a second approval. */
  | { readonly kind: 'unconfirmed'; readonly milestoneId: string }
  | { readonly kind: 'routes' }
  | { readonly kind: 'route-saved'; readonly scope: RouteScope; readonly targetId: string }
  | { readonly kind: 'route-removed'; readonly targetId: string; readonly removed: RemovedRoute | null }
  | { readonly kind: 'route-unknown'; readonly targetId: string; readonly why: 'not-found' | 'unreachable' }
  | { readonly kind: 'not-admin' }
  /** Plain text: only replies queued by a version before typed replies, carried over by the upgrade. */
  | { readonly kind: 'text'; readonly text: string };

/** A route as it was when removed, to describe it afterwards. */
export interface RemovedRoute {
  readonly scope: RouteScope;
  readonly targetId: string;
  readonly channelId: string;
}

/** A DM to the requester about an approval. */
export type Direct =
  | { readonly about: 'reminder'; readonly offsetMs: number }
  | { readonly about: 'outcome'; readonly status: TerminalStatus }
  /** The card could not be posted at first and is there now. */
  | { readonly about: 'card-arrived' };

/** A message in a channel that is not about one approval. */
export type Notice =
  | {
      readonly kind: 'autofund-refused';
      readonly ruleName: string;
      readonly milestoneId: string;
      readonly refusal: Refusal;
    }
  /** An autofund rule's request whose fate OpenTrain's lost answer hides (FundOutcome 'unconfirmed'). */
  | { readonly kind: 'autofund-unconfirmed'; readonly ruleName: string; readonly milestoneId: string }
  /** Plain text: only notices queued by a version before typed notices. */
  | { readonly kind: 'text'; readonly text: string };

/**
 * How soon the queue takes an effect, most urgent first: a person is waiting; a card posted or ended; the
 * rest; countdown refreshes, which never hold up anything else.
 */
export const priorities = { waiting: 0, change: 1, routine: 2, countdown: 3 } as const;
export type Priority = (typeof priorities)[keyof typeof priorities];

/** A stored priority read back; anything unknown counts as routine. */
export function toPriority(value: number): Priority {
  return (Object.values(priorities) as number[]).includes(value) ? (value as Priority) : priorities.routine;
}

/** A unique key: enqueueing an effect under a key already used never does the work twice. */
export type EffectKey = string & { readonly __effectKey: unique symbol };

/**
 * `once`: the key is used once, forever (a DM, a fund call). `rearm`: the key names something kept in step
 * (a card, a Home tab); enqueueing it again while it runs or after it ran makes it run once more.
 */
export type EffectMode = 'once' | 'rearm';

export interface QueuedEffect<E extends Effect = Effect> {
  readonly key: EffectKey;
  readonly workspaceId: WorkspaceId;
  readonly mode: EffectMode;
  readonly priority: Priority;
  readonly effect: E;
  /**
   * Not due before this moment (due at once without it). Re-arming a waiting effect keeps the earlier of the
   * two moments, so what replaces a delayed effect goes out at once.
   */
  readonly notBefore?: Date;
}

function key(text: string): EffectKey {
  return text as EffectKey;
}

/**
 * The only way to name an effect. Keys written by earlier versions keep their spelling (`autofund:M-1` must
 * still block a second autofund request for M-1 after an upgrade).
 */
export const effectKeys = {
  /** A slash command's request: one per command Slack sent. */
  fund: (requestId: string) => key(`fund:${requestId}`),
  autofund: (milestoneId: string) => key(`autofund:${milestoneId}`),
  upstream: (idempotencyKey: string) => key(`upstream:${idempotencyKey}`),
  /** An upstream request without an idempotencyKey: one per signature, so a replay is refused. */
  upstreamSignature: (signature: string) => key(`upstream-signature:${signature}`),
  card: (approvalId: string) => key(`card:${approvalId}`),
  homes: (approvalId: string) => key(`homes:${approvalId}`),
  home: (userId: string) => key(`home:${userId}`),
  reply: (requestKey: string) => key(`reply:${requestKey}`),
  reminder: (approvalId: string, offsetMs: number) => key(`reminder:${approvalId}:${offsetMs}`),
  outcome: (approvalId: string) => key(`outcome:${approvalId}`),
  cardArrived: (approvalId: string) => key(`card-arrived:${approvalId}`),
  thread: (approvalId: string, purpose: 'outcome' | 'reminder') => key(`thread:${purpose}:${approvalId}`),
  notice: (requestKey: string) => key(`notice:${requestKey}`),
} as const;

export function fundEffect(requestKey: EffectKey, request: FundingRequest): QueuedEffect {
  return {
    key: requestKey,
    workspaceId: request.workspaceId,
    mode: 'once',
    priority: priorities.waiting,
    effect: { kind: 'fund', request },
  };
}

export function cardEffect(workspaceId: WorkspaceId, approvalId: string, priority: Priority): QueuedEffect {
  return {
    key: effectKeys.card(approvalId),
    workspaceId,
    mode: 'rearm',
    priority,
    effect: { kind: 'card', approvalId },
  };
}

export function homesEffect(workspaceId: WorkspaceId, approvalId: string): QueuedEffect {
  return {
    key: effectKeys.homes(approvalId),
    workspaceId,
    mode: 'rearm',
    priority: priorities.routine,
    effect: { kind: 'homes', approvalId },
  };
}

export function homeEffect(workspaceId: WorkspaceId, userId: string, priority: Priority): QueuedEffect {
  return {
    key: effectKeys.home(userId),
    workspaceId,
    mode: 'rearm',
    priority,
    effect: { kind: 'home', userId },
  };
}

export function replyEffect(
  requestKey: string,
  workspaceId: WorkspaceId,
  to: ReplyTarget,
  reply: Reply,
): QueuedEffect {
  return {
    key: effectKeys.reply(requestKey),
    workspaceId,
    mode: 'once',
    priority: priorities.waiting,
    effect: { kind: 'reply', to, reply },
  };
}

/**
 * The progress line of a request (see Reply `working`): once per request, not before `notBefore`, and never
 * sent at all when the outcome is queued first.
 */
export function progressReplyEffect(
  requestKey: string,
  workspaceId: WorkspaceId,
  to: ReplyTarget,
  milestoneId: string,
  notBefore: Date,
): QueuedEffect {
  return { ...replyEffect(requestKey, workspaceId, to, { kind: 'working', milestoneId }), notBefore };
}

/**
 * A request's outcome, under the same key as its progress line: re-arming it replaces a progress line still
 * waiting (one message), or follows one already shown (and replaces it in Slack). Enqueue it only when no
 * outcome is queued under the key yet, or a repeat would be sent twice.
 */
export function replyOutcomeEffect(
  requestKey: string,
  workspaceId: WorkspaceId,
  to: ReplyTarget,
  reply: Reply,
): QueuedEffect {
  return { ...replyEffect(requestKey, workspaceId, to, reply), mode: 'rearm' };
}

/** Replies that wait for their approval's card to be tried once, so they can say where it is (or why not). */
export function replyWaitsFor(reply: Reply): EffectKey | null {
  if (reply.kind === 'funding-requested' || reply.kind === 'already-pending')
    return effectKeys.card(reply.approvalId);
  return null;
}

export function dmEffect(
  workspaceId: WorkspaceId,
  approvalId: string,
  userId: string,
  message: Direct,
): QueuedEffect {
  const effectKey =
    message.about === 'reminder'
      ? effectKeys.reminder(approvalId, message.offsetMs)
      : message.about === 'outcome'
        ? effectKeys.outcome(approvalId)
        : effectKeys.cardArrived(approvalId);
  return {
    key: effectKey,
    workspaceId,
    mode: 'once',
    priority: message.about === 'outcome' ? priorities.change : priorities.routine,
    effect: { kind: 'dm', approvalId, userId, message },
  };
}

export function threadEffect(
  workspaceId: WorkspaceId,
  approvalId: string,
  purpose: 'outcome' | 'reminder',
  priority: Priority = purpose === 'outcome' ? priorities.change : priorities.routine,
): QueuedEffect {
  return {
    key: effectKeys.thread(approvalId, purpose),
    workspaceId,
    mode: 'once',
    priority,
    effect: { kind: 'thread', approvalId, purpose },
  };
}

export function noticeEffect(
  requestKey: string,
  workspaceId: WorkspaceId,
  channelId: string,
  notice: Notice,
): QueuedEffect {
  return {
    key: effectKeys.notice(requestKey),
    workspaceId,
    mode: 'once',
    priority: priorities.routine,
    effect: { kind: 'notice', channelId, notice },
  };
}
