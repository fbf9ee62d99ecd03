import type { NewAuditEntry } from '../ports/store.js';

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
