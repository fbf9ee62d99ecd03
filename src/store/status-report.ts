import type { Transition } from '../domain/approval.js';
import type { NewAuditEntry } from '../ports/store.js';

/** The audit entry of an approval that ended: OpenTrain said so, or Countersign decided it (a lapse). */
export function endEntry(t: Transition, milestoneId: string | null): NewAuditEntry {
  return {
    approvalId: t.approvalId,
    milestoneId,
    actor: t.source.startsWith('countersign') ? 'countersign' : 'opentrain',
    action: t.status,
    detail: { source: t.source, ...(t.result === null ? {} : { result: t.result }) },
  };
}

/** The audit entry of a status word reported (or no longer reported) for a pending approval. */
export function statusReportEntry(
  approvalId: string,
  milestoneId: string | null,
  reported: string | null,
  source: string,
): NewAuditEntry {
  return {
    approvalId,
    milestoneId,
    actor: 'opentrain',
    action: reported === null ? 'status-cleared' : 'status-reported',
    detail: { source, ...(reported === null ? {} : { status: reported }) },
  };
}
