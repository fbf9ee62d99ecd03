import { z } from 'zod';
import {
  type ApprovalContext,
  approvalStatuses,
  type Requester,
  type TrackedApproval,
} from '../../domain/approval.js';
import { type EffectKey, toPriority } from '../../domain/effects.js';
import type { AuditEntry, ClaimedEffect, EffectRecord } from '../../ports/store.js';
import { parseEffect, parseFundOutcome, parseJsonValue } from '../effect-json.js';
import { ApproversJson } from './routes-sql.js';

export interface ApprovalRow {
  id: string;
  workspace_id: string;
  type: string;
  status: string;
  contract_id: string | null;
  milestone_id: string | null;
  job_id: string | null;
  proposal_id: string | null;
  approval_url: string;
  expires_at: number;
  resolved_at: number | null;
  result: string | null;
  created_at: number;
  requester: string;
  note: string | null;
  channel_id: string;
  context: string | null;
  approvers: string;
  version: number;
  card_version: number;
  card_channel_id: string | null;
  card_ts: string | null;
  card_permalink: string | null;
  reminder_floor_ms: number | null;
  tracked_at: number;
  updated_at: number;
  /** From v7 (SQLite) and v2 (PostgreSQL); undefined only on rows read by hand from an older file. */
  reported_status?: string | null;
}

// JSON columns are read back through schemas: a row written by an older version must not crash a tick.
const RequesterJson = z.union([
  z.object({ kind: z.literal('slack'), userId: z.string(), teamId: z.string().nullable() }),
  z.object({ kind: z.literal('system'), name: z.string() }),
]);
const ContextJson = z.object({
  milestoneName: z.string().nullable().catch(null),
  milestoneNumber: z.number().nullable().catch(null),
  amountUsd: z.number().nullable().catch(null),
  contractTitle: z.string().nullable().catch(null),
  freelancerName: z.string().nullable().catch(null),
});
const RecordJson = z.record(z.string(), z.unknown());
// Built once: building it for every row read showed in the profile of a tick ending 1,000 approvals.
const StatusWord = z.enum(approvalStatuses);

function parseJson<T>(text: string | null, schema: z.ZodType<T>): T | null {
  if (text === null) return null;
  const parsed = schema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}

export function toApproval(row: ApprovalRow): TrackedApproval {
  const requester: Requester = parseJson(row.requester, RequesterJson) ?? { kind: 'system', name: 'unknown' };
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    type: row.type,
    status: StatusWord.parse(row.status),
    reportedStatus: row.status === 'pending' ? (row.reported_status ?? null) : null,
    contractId: row.contract_id,
    milestoneId: row.milestone_id,
    jobId: row.job_id,
    proposalId: row.proposal_id,
    approvalUrl: row.approval_url,
    expiresAt: new Date(row.expires_at),
    resolvedAt: row.resolved_at === null ? null : new Date(row.resolved_at),
    result: parseJson(row.result, RecordJson),
    createdAt: new Date(row.created_at),
    requester,
    note: row.note,
    channelId: row.channel_id,
    approvers: ApproversJson.parse(JSON.parse(row.approvers)),
    context: parseJson<ApprovalContext>(row.context, ContextJson),
    version: row.version,
    card: {
      version: row.card_version,
      channelId: row.card_channel_id,
      ts: row.card_ts,
      permalink: row.card_permalink,
    },
    reminderFloorMs: row.reminder_floor_ms,
    trackedAt: new Date(row.tracked_at),
    updatedAt: new Date(row.updated_at),
  };
}

export interface EffectRow {
  id: number;
  workspace_id: string;
  key: string;
  kind: string;
  payload: string;
  state: string;
  generation: number;
  priority: number;
  attempts: number;
  uncertain_since: number | null;
  progress: string | null;
  result: string | null;
  last_error: string | null;
  created_at: number;
}

export function toClaimed(row: EffectRow): ClaimedEffect {
  return {
    id: row.id,
    key: row.key as EffectKey,
    workspaceId: row.workspace_id,
    effect: parseEffect(row.payload),
    attempts: row.attempts,
    generation: row.generation,
    createdAt: new Date(row.created_at),
    uncertainSince: row.uncertain_since === null ? null : new Date(row.uncertain_since),
    progress: parseJsonValue(row.progress),
    priority: toPriority(row.priority),
  };
}

export function toEffectRecord(row: EffectRow): EffectRecord {
  const effect = parseEffect(row.payload);
  return {
    key: row.key as EffectKey,
    kind: effect.kind,
    state: z.enum(['pending', 'done', 'dropped', 'failed']).parse(row.state),
    attempts: row.attempts,
    lastError: row.last_error,
    result: parseFundOutcome(parseJsonValue(row.result)) ?? null,
    effect,
    createdAt: new Date(row.created_at),
  };
}

export interface AuditRow {
  id: number;
  at: number;
  approval_id: string | null;
  milestone_id: string | null;
  actor: string;
  action: string;
  detail: string | null;
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  const detail = parseJson(row.detail, RecordJson);
  return {
    id: row.id,
    at: new Date(row.at),
    approvalId: row.approval_id,
    milestoneId: row.milestone_id,
    actor: row.actor,
    action: row.action,
    ...(detail === null ? {} : { detail }),
  };
}
