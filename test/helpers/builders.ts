import type { Approval, TrackedApproval } from '../../src/domain/approval.js';

export const t0 = new Date('2026-06-12T10:00:00.000Z');

export function hours(n: number): number {
  return n * 3_600_000;
}

export function at(offsetMs: number, from: Date = t0): Date {
  return new Date(from.getTime() + offsetMs);
}

export function anApproval(overrides: Partial<Approval> = {}): Approval {
  return {
    id: 'A-1',
    type: 'milestone_fund',
    status: 'pending',
    reportedStatus: null,
    contractId: 'C-1',
    milestoneId: 'M-1001',
    jobId: 'J-1',
    proposalId: null,
    approvalUrl: 'https://app.opentrain.ai/approvals/A-1',
    expiresAt: at(hours(72)),
    resolvedAt: null,
    result: null,
    createdAt: t0,
    ...overrides,
  };
}

export function aTrackedApproval(overrides: Partial<TrackedApproval> = {}): TrackedApproval {
  return {
    ...anApproval(),
    workspaceId: 'T1',
    requester: { kind: 'slack', userId: 'U0ALICE', teamId: 'T1' },
    note: null,
    channelId: 'C0FUND',
    approvers: [],
    context: {
      milestoneName: 'First labeling batch',
      milestoneNumber: 1,
      amountUsd: 1250,
      contractTitle: 'Spanish Sentiment Labeling',
      freelancerName: 'Maria G.',
    },
    version: 1,
    card: {
      version: 0,
      channelId: null,
      ts: null,
      permalink: null,
    },
    reminderFloorMs: null,
    trackedAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}
