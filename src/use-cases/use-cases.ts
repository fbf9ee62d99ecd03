import type { Clock } from '../clock.js';
import type { Handlers } from '../delivery/runner.js';
import type { WorkspaceId } from '../domain/approval.js';
import { type EffectKey, type Reply, replyEffect } from '../domain/effects.js';
import type { FundingRequest, ReplyTarget } from '../domain/funding.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { OpenTrainPort } from '../ports/opentrain.js';
import type { SlackDelivery, SlackDirectory } from '../ports/slack.js';
import type { AuditEntry, Store } from '../ports/store.js';
import { deliverCard } from './deliver-card.js';
import { type FundNowOutcome, followNow, fundNow, type RunNow } from './fund-now.js';
import { history } from './history.js';
import { openHome, publishHome, refreshAudience } from './home-tabs.js';
import { manageRoutes, type RouteChange, type RouteRequest } from './manage-routes.js';
import { pollTick, type TickReport } from './poll-tick.js';
import { recordClick } from './record-click.js';
import { carryOutFunding, requestFunding } from './request-funding.js';
import { sendDirect, sendNotice, sendReply, sendToThread } from './send-messages.js';

export interface Settings {
  readonly fundChannel: string | undefined;
  readonly reminderOffsetsMs: readonly number[];
  /** The tick's share of Slack's chat.update budget for countdown refreshes. */
  readonly countdownsPerTick?: number;
  /**
   * How long a person waits for a request's outcome before its reply shows a progress line first (2 s by
   * default; the tests shorten it).
   */
  readonly progressReplyAfterMs?: number;
}

/** Everything the use cases may touch: the ports, the clock and the log. Built once by the composition root. */
export interface UseCaseDeps {
  readonly store: Store;
  readonly opentrain: OpenTrainPort;
  readonly slack: SlackDelivery;
  readonly directory: SlackDirectory;
  readonly clock: Clock;
  readonly log: Logger;
  readonly workspaceId: WorkspaceId;
  readonly settings: Settings;
  readonly isAdmin: (userId: string) => boolean;
  readonly metrics: Metrics;
}

/** What the adapters (Slack listeners, HTTP routes, the CLI) may ask for; each is one use case. */
export interface UseCases {
  /** The workspace this deployment serves; requests name theirs, and one day several are served. */
  readonly workspaceId: WorkspaceId;
  requestFunding(key: EffectKey, request: FundingRequest): Promise<boolean>;
  /** Queues a private reply to a request (answered through its response_url, or by DM). */
  reply(requestKey: string, to: ReplyTarget, reply: Reply): Promise<void>;
  refuseRequester(userId: string, milestoneId: string, reason: string): Promise<void>;
  fundNow(
    key: EffectKey,
    request: FundingRequest,
    options: { idempotencyKey: boolean },
  ): Promise<FundNowOutcome>;
  followNow(
    approvalId: string,
    request: Omit<FundingRequest, 'milestoneId' | 'replyTo' | 'noticeChannelId' | 'via'>,
  ): Promise<FundNowOutcome>;
  manageRoutes(change: RouteChange, request: RouteRequest): Promise<void>;
  history(id: string): Promise<{ subject: 'milestone' | 'approval'; entries: AuditEntry[] }>;
  recordClick(approvalId: string, userId: string): Promise<void>;
  openHome(userId: string): Promise<void>;
  tick(options?: { dry?: boolean }): Promise<TickReport>;
}

/** The flat set of ports each use case picks its narrow part from. */
function portsOf(deps: UseCaseDeps) {
  const { store } = deps;
  return {
    approvals: store.approvals,
    outbox: store.outbox,
    routes: store.routes,
    homes: store.homes,
    cursors: store.cursors,
    audit: store.audit,
    opentrain: deps.opentrain,
    slack: deps.slack,
    directory: deps.directory,
    clock: deps.clock,
    log: deps.log,
    settings: deps.settings,
    workspaceId: deps.workspaceId,
    isAdmin: deps.isAdmin,
    metrics: deps.metrics,
  };
}

export function createUseCases(deps: UseCaseDeps, runNow: RunNow): UseCases {
  const ports = portsOf(deps);
  return {
    workspaceId: deps.workspaceId,
    requestFunding: (key, request) => requestFunding(ports, key, request),
    async reply(requestKey, to, reply) {
      await deps.store.outbox.enqueue(
        [replyEffect(requestKey, deps.workspaceId, to, reply)],
        deps.clock.now(),
      );
    },
    async refuseRequester(userId, milestoneId, reason) {
      const entry = {
        approvalId: null,
        milestoneId,
        actor: `slack:${userId}`,
        action: 'request-refused',
        detail: { reason },
      };
      await deps.store.audit.append([entry], deps.clock.now());
    },
    fundNow: (key, request, options) => fundNow({ ...ports, runNow }, key, request, options),
    followNow: (approvalId, request) => followNow({ ...ports, runNow }, approvalId, request),
    manageRoutes: (change, request) => manageRoutes(ports, change, request),
    history: (id) => history(ports, id),
    recordClick: (approvalId, userId) => recordClick(ports, approvalId, userId),
    openHome: (userId) => openHome(ports, deps.workspaceId, userId),
    tick: (options) => pollTick(ports, options),
  };
}

/** The queue's handlers, one use case per kind of effect. */
export function createHandlers(deps: UseCaseDeps): Handlers {
  const ports = portsOf(deps);
  return {
    fund: (claimed, context) => carryOutFunding(ports, claimed, context),
    card: (claimed) => deliverCard(ports, claimed),
    homes: (claimed) => refreshAudience(ports, claimed),
    home: (claimed) => publishHome(ports, claimed),
    reply: (claimed, context) => sendReply(ports, claimed, context),
    dm: (claimed) => sendDirect(ports, claimed),
    thread: (claimed) => sendToThread(ports, claimed),
    notice: (claimed) => sendNotice(ports, claimed),
  };
}
