import type { UpdateEvent } from '../opentrain/schema.js';
import {
  type Approval,
  approvalStatuses,
  type TerminalStatus,
  type TrackedApproval,
  type Transition,
} from './types.js';

/** What one feed event asks of us. Events about approvals we do not track are dropped here. */
export type EventAction =
  /** Declined or expired: the event says all there is to know. */
  | { readonly kind: 'apply'; readonly eventId: string; readonly transition: Transition }
  /**
   * Confirmed: read the approval for its result (invoice id) before applying. `fallback` is what the event
   * alone says, for when the read is refused for good.
   */
  | {
      readonly kind: 'read-then-apply';
      readonly eventId: string;
      readonly approvalId: string;
      readonly fallback: Transition | undefined;
    };

export function approvalIdOf(event: UpdateEvent): string | undefined {
  if (event.type !== 'approval.confirmed') return undefined;
  const fromData = event.data.approvalId;
  if (typeof fromData === 'string' && fromData !== '') return fromData;
  return event.resourceId ?? undefined;
}

/** Turns a page of /updates into actions on the approvals we track that are still pending here. */
export function planEvents(
  events: readonly UpdateEvent[],
  tracked: ReadonlyMap<string, TrackedApproval>,
): EventAction[] {
  const actions: EventAction[] = [];
  for (const event of events) {
    const approvalId = approvalIdOf(event);
    if (approvalId === undefined) continue;
    const approval = tracked.get(approvalId);
    if (approval === undefined || approval.status !== 'pending') continue;
    const status = terminalStatusOf(event.data.status);
    const transition: Transition | undefined =
      status === undefined
        ? undefined
        : {
            approvalId,
            status,
            resolvedAt: event.createdAt,
            result: null,
            source: `opentrain:event:${event.id}`,
          };
    if (transition === undefined || transition.status === 'confirmed') {
      // Confirmed needs the result; an unreadable status means the event cannot be trusted on its own.
      actions.push({ kind: 'read-then-apply', eventId: event.id, approvalId, fallback: transition });
      continue;
    }
    actions.push({ kind: 'apply', eventId: event.id, transition });
  }
  return actions;
}

/** A transition from a fresh read of the approval, or undefined while it is still pending. */
export function transitionFromApproval(remote: Approval, source: string): Transition | undefined {
  if (remote.status === 'pending') return undefined;
  return {
    approvalId: remote.id,
    status: remote.status,
    resolvedAt: remote.resolvedAt ?? (remote.status === 'expired' ? remote.expiresAt : null),
    result: remote.status === 'confirmed' ? remote.result : null,
    source,
  };
}

function terminalStatusOf(value: unknown): TerminalStatus | undefined {
  const status = approvalStatuses.find((candidate) => candidate === value);
  return status === undefined || status === 'pending' ? undefined : status;
}

/** A milestone OpenTrain reports as newly unfunded: what an autoFund rule acts on. */
export interface UnfundedMilestone {
  readonly eventId: string;
  readonly at: Date;
  readonly milestoneId: string;
  readonly contractId: string | null;
  readonly jobId: string | null;
}

/**
 * The `milestone.status_changed` events that leave a milestone NOT_FUNDED, minus those a later event in the
 * same page already moved on (a hire creates a milestone and funds it at once).
 */
export function unfundedMilestones(events: readonly UpdateEvent[]): UnfundedMilestone[] {
  const latest = new Map<string, { status: unknown; event: UpdateEvent }>();
  for (const event of events) {
    if (event.type !== 'milestone.status_changed') continue;
    const milestoneId = event.data.milestoneId ?? event.resourceId;
    if (typeof milestoneId !== 'string' || milestoneId === '') continue;
    latest.set(milestoneId, { status: event.data.status, event });
  }
  const found: UnfundedMilestone[] = [];
  for (const [milestoneId, { status, event }] of latest) {
    if (status !== 'NOT_FUNDED') continue;
    const contractId = event.data.contractId;
    found.push({
      eventId: event.id,
      at: event.createdAt,
      milestoneId,
      contractId: typeof contractId === 'string' ? contractId : null,
      jobId: event.jobId,
    });
  }
  return found;
}
