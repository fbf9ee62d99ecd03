import type { Approval } from '../domain/approval.js';
import { readStatus, terminalStatusOf } from '../domain/approval.js';
import type { ContractView } from '../domain/context.js';
import type { BudgetState, FeedEvent } from '../domain/feed.js';
import { isOpenTrainId } from '../domain/opentrain-id.js';
import type { OpenTrainPort } from '../ports/opentrain.js';
import type { OpenTrainClient } from './client.js';
import { OpenTrainError } from './errors.js';
import { refusalOf } from './refusal.js';
import type { Contract, UpdateEvent } from './schema.js';

/**
 * OpenTrain as the use cases see it: wire records parsed into domain values at this boundary, every answer
 * checked against what was asked, and links into OpenTrain accepted only on OpenTrain's own origin (they
 * become buttons people trust with money).
 */
export function createOpenTrainPort(
  client: OpenTrainClient,
  options: { trustedOrigin: string },
): OpenTrainPort {
  const trusted = new URL(options.trustedOrigin).origin;

  function checked(approval: Approval, asked: { id?: string; milestoneId?: string }, what: string): Approval {
    if (asked.id !== undefined && approval.id !== asked.id) {
      throw new OpenTrainError('bad-response', `OpenTrain answered ${what} with another approval`);
    }
    if (asked.milestoneId !== undefined && approval.milestoneId !== asked.milestoneId) {
      throw new OpenTrainError(
        'bad-response',
        `OpenTrain answered ${what} with another milestone's approval`,
      );
    }
    if (!onOrigin(approval.approvalUrl, trusted)) {
      throw new OpenTrainError('bad-response', `OpenTrain answered ${what} with a link outside ${trusted}`);
    }
    return approval;
  }

  return {
    async fundMilestone(milestoneId, options) {
      const approval = await client.fundMilestone(milestoneId, callOptions(options));
      return checked(approval, { milestoneId }, `the fund request for ${milestoneId}`);
    },
    async getApproval(approvalId, options) {
      const approval = await client.getApproval(approvalId, callOptions(options));
      return checked(approval, { id: approvalId }, `a read of ${approvalId}`);
    },
    async listUpdates(cursor, limit, options) {
      const page = await client.listUpdates(cursor, limit, callOptions(options));
      return { events: page.events.map(toFeedEvent), nextCursor: page.nextCursor, hasMore: page.hasMore };
    },
    async getContract(contractId, options) {
      const contract = await client.getContract(contractId, callOptions(options));
      if (contract.id !== contractId) {
        throw new OpenTrainError(
          'bad-response',
          `OpenTrain answered a read of ${contractId} with another contract`,
        );
      }
      return toContractView(contract);
    },
    async listContracts(jobId, options) {
      const contracts = await client.listContracts(jobId ?? '', callOptions(options));
      return contracts.map(toContractView);
    },
    explain(error) {
      return error instanceof OpenTrainError ? refusalOf(error, trusted) : undefined;
    },
  };
}

function callOptions(options: { timeoutMs?: number; attempts?: number } | undefined) {
  if (options === undefined) return undefined;
  return {
    timeoutMs: options.timeoutMs,
    retry: options.attempts === undefined ? undefined : { attempts: options.attempts },
  };
}

/** True when `url` is on `origin` (scheme, host and port alike). */
export function onOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** An id the tick may act on (read, fund, look up): only one of the id grammar, else none. */
function id(value: unknown): string | null {
  return isOpenTrainId(value) ? value : null;
}

function number(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** An approval event without a status word: read the approval. */
const unknownWord = { status: 'pending', reportedStatus: null } as const;

const budgetStates = new Set<string>(['OK', 'LOW', 'DEPLETED']);

function budgetState(value: unknown): BudgetState | null {
  return typeof value === 'string' && budgetStates.has(value) ? (value as BudgetState) : null;
}

/** A wire event as the domain reads it; anything it cannot make sense of is an `other` event. */
export function toFeedEvent(event: UpdateEvent): FeedEvent {
  const base = { id: event.id, at: event.createdAt };
  const data = event.data;
  switch (event.type) {
    case 'approval.confirmed': {
      const approvalId = id(data.approvalId) ?? id(event.resourceId);
      if (approvalId === null) break;
      const word = text(data.status);
      const { status, reportedStatus } = word === null ? unknownWord : readStatus(word.slice(0, 64));
      return {
        ...base,
        kind: 'approval-ended',
        approvalId,
        status: terminalStatusOf(status),
        // `pending` itself is no end: read the approval like any status the event cannot vouch for.
        reportedStatus,
      };
    }
    case 'milestone.status_changed': {
      const milestoneId = id(data.milestoneId) ?? id(event.resourceId);
      if (milestoneId === null) break;
      return {
        ...base,
        kind: 'milestone-status',
        milestoneId,
        contractId: id(data.contractId),
        jobId: id(event.jobId) ?? id(data.jobId),
        status: text(data.status),
      };
    }
    case 'contract.budget_state_changed': {
      const contractId = id(data.contractId) ?? id(event.resourceId);
      const state = budgetState(data.state);
      if (contractId === null || state === null) break;
      return {
        ...base,
        kind: 'budget-state',
        contractId,
        previousState: budgetState(data.previousState),
        state,
        paymentType: text(data.paymentType),
        fundedVolume: number(data.fundedVolume),
        consumedVolume: number(data.consumedVolume),
        remainingVolume: number(data.remainingVolume),
        consumedFraction: number(data.consumedFraction),
      };
    }
  }
  return { ...base, kind: 'other', type: event.type };
}

export function toContractView(contract: Contract): ContractView {
  return {
    id: contract.id,
    status: contract.status ?? null,
    title: contract.title ?? null,
    jobId: contract.jobId ?? null,
    freelancerName: contract.freelancer?.displayName ?? null,
    milestones: (contract.milestones ?? []).map((milestone) => ({
      id: milestone.id,
      name: milestone.name ?? null,
      status: milestone.status ?? null,
      amountUsd: milestone.amountUsd ?? null,
      milestoneNumber: milestone.milestoneNumber ?? null,
    })),
  };
}
