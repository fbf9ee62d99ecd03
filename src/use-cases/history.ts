import type { AuditEntry, AuditPort } from '../ports/store.js';

/**
 * `history <milestone or approval id>`: who did what, from the audit log. An id that names a milestone is
 * read as one; otherwise as an approval (approvals of other types have no milestone).
 */
export async function history(
  deps: { readonly audit: Pick<AuditPort, 'list'> },
  id: string,
): Promise<{ subject: 'milestone' | 'approval'; entries: AuditEntry[] }> {
  const byMilestone = await deps.audit.list({ milestoneId: id, limit: 50 });
  if (byMilestone.length > 0) return { subject: 'milestone', entries: byMilestone };
  const byApproval = await deps.audit.list({ approvalId: id, limit: 50 });
  return { subject: byApproval.length === 0 ? 'milestone' : 'approval', entries: byApproval };
}
