import { setTimeout as sleep } from 'node:timers/promises';
import type { Approval, TrackedApproval } from '../domain/approval.js';
import { type EffectKey, effectKeys, fundEffect } from '../domain/effects.js';
import {
  type FundingRequest,
  type FundOutcome,
  isTransientFailure,
  type Refusal,
} from '../domain/funding.js';
import type { OpenTrainPort } from '../ports/opentrain.js';
import type { EffectRecord, OutboxPort, RoutesPort } from '../ports/store.js';
import type { EffectResult } from './effect-result.js';
import type { FollowDeps } from './follow-approval.js';
import { followApproval } from './follow-approval.js';

/** Runs one queued effect now, in this process (the queue runner provides it). */
export type RunNow = (key: EffectKey) => Promise<EffectResult | undefined>;

export interface FundNowDeps extends FollowDeps {
  readonly outbox: Pick<OutboxPort, 'enqueue' | 'find'>;
  readonly routes: Pick<RoutesPort, 'list' | 'findFor'>;
  readonly runNow: RunNow;
}

export type FundNowOutcome =
  | {
      readonly kind: 'tracked';
      readonly approval: TrackedApproval;
      readonly duplicate: boolean;
      readonly cardError: string | null;
    }
  | { readonly kind: 'unrouted'; readonly approvalId: string; readonly approvalUrl: string }
  | { readonly kind: 'refused'; readonly refusal: Refusal }
  /** OpenTrain's answer was lost and it was too late to ask again (FundOutcome 'unconfirmed'). */
  | { readonly kind: 'unconfirmed' }
  /** Nothing could place a card (no route, no FUND_CHANNEL, no channel given): nothing was requested. */
  | { readonly kind: 'no-channel' }
  /** A request with the same key is being carried out right now. */
  | { readonly kind: 'in-progress' }
  /** The key was used for another milestone: a second request would not be what the caller thinks. */
  | { readonly kind: 'key-conflict'; readonly milestoneId: string }
  /** The exact same signed request again, without an idempotency key: a replay. */
  | { readonly kind: 'replayed' };

/** How long a caller waits for another process's run of the same request before hearing "in progress". */
const waitForOthersMs = 15_000;

/**
 * A funding request from another system, answered once it is carried out: the same request path as the
 * slash command (it is recorded on the queue, then carried out), run at once in this process so the caller
 * hears the outcome and where the card is. The same key never asks twice, unless OpenTrain was down.
 */
export async function fundNow(
  deps: FundNowDeps,
  key: EffectKey,
  request: FundingRequest,
  options: { readonly idempotencyKey: boolean },
): Promise<FundNowOutcome> {
  if (request.fallbackChannel === null && deps.settings.fundChannel === undefined) {
    // Only a route could place the card; without any, refuse before OpenTrain records anything.
    if ((await deps.routes.list(request.workspaceId)).length === 0) return { kind: 'no-channel' };
  }
  const existing = await deps.outbox.find(key);
  if (existing !== undefined) {
    if (existing.effect.kind === 'fund' && existing.effect.request.milestoneId !== request.milestoneId) {
      return { kind: 'key-conflict', milestoneId: existing.effect.request.milestoneId };
    }
    if (!options.idempotencyKey) return { kind: 'replayed' };
    if (existing.state === 'pending') return { kind: 'in-progress' };
    const earlier = existing.state === 'done' ? (existing.result ?? undefined) : undefined;
    if (
      earlier !== undefined &&
      !(earlier.kind === 'refused' && isTransientFailure(earlier.refusal.failure))
    ) {
      return answer(deps, earlier, true);
    }
  }
  // New, or the last try found OpenTrain down: (re)arm it and carry it out here and now.
  await deps.outbox.enqueue([{ ...fundEffect(key, request), mode: 'rearm' }], deps.clock.now());
  const outcome = await runHere(deps, key);
  return outcome === undefined ? { kind: 'in-progress' } : answer(deps, outcome, false);
}

/** Runs the request here; when another worker has it, waits for its outcome a while. */
async function runHere(deps: FundNowDeps, key: EffectKey): Promise<FundOutcome | undefined> {
  const result = await deps.runNow(key);
  if (result?.kind === 'done') return result.result;
  const until = Date.now() + waitForOthersMs;
  while (Date.now() < until) {
    const record: EffectRecord | undefined = await deps.outbox.find(key);
    if (record !== undefined && record.state !== 'pending') return record.result ?? undefined;
    await sleep(100);
  }
  return undefined;
}

async function answer(deps: FundNowDeps, outcome: FundOutcome, repeat: boolean): Promise<FundNowOutcome> {
  if (outcome.kind !== 'tracked') return outcome;
  if (outcome.ours && !repeat) await postCardFirst(deps, outcome.approvalId);
  return describeTracked(deps, outcome.approvalId, repeat || !outcome.ours);
}

/** How long the caller waits for the card when another worker is posting it. */
const cardWaitMs = 5_000;

/** Posts the card here, or waits for the worker that took it to have tried once: the answer says where it is. */
async function postCardFirst(deps: FundNowDeps, approvalId: string): Promise<void> {
  if ((await deps.runNow(effectKeys.card(approvalId))) !== undefined) return;
  const until = Date.now() + cardWaitMs;
  while (Date.now() < until) {
    const card = await deps.outbox.find(effectKeys.card(approvalId));
    // Done (posted, permalink and all), or tried and failed: either way the answer can say so.
    if (card === undefined || card.state !== 'pending' || card.lastError !== null) return;
    await sleep(50);
  }
}

async function describeTracked(
  deps: FundNowDeps,
  approvalId: string,
  duplicate: boolean,
): Promise<FundNowOutcome> {
  const approval = await deps.approvals.get(approvalId);
  if (approval === undefined) throw new Error(`approval ${approvalId} is not tracked`);
  const card = await deps.outbox.find(effectKeys.card(approvalId));
  const cardError = approval.card.ts === null ? (card?.lastError ?? null) : null;
  return { kind: 'tracked', approval, duplicate, cardError };
}

/** An approval another system already created: followed like our own, its card posted before the answer. */
export async function followNow(
  deps: FundNowDeps & { readonly opentrain: Pick<OpenTrainPort, 'getApproval' | 'explain'> },
  approvalId: string,
  request: Omit<FundingRequest, 'milestoneId' | 'replyTo' | 'noticeChannelId' | 'via'>,
): Promise<FundNowOutcome> {
  let remote: Approval;
  try {
    remote = await deps.opentrain.getApproval(approvalId);
  } catch (error) {
    const refusal = deps.opentrain.explain(error);
    if (refusal === undefined) throw error;
    return { kind: 'refused', refusal };
  }
  const followed = await followApproval(deps, remote, request);
  if (followed.kind === 'unrouted')
    return { kind: 'unrouted', approvalId: remote.id, approvalUrl: remote.approvalUrl };
  if (followed.created) await postCardFirst(deps, remote.id);
  return describeTracked(deps, remote.id, !followed.created);
}
