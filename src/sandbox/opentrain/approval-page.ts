import { refreshApproval } from './approvals.js';
import { escapeHtml } from './http-io.js';
import { controlBasePath } from './sim-controls.js';
import type { SimState } from './state.js';
import type { ApprovalRecord, ApprovalType, ContractStatus, MilestoneStatus } from './types.js';

// What approvalUrl opens: a stand-in for OpenTrain's co-sign screen. Plain HTML forms, no scripts, no external
// assets, and every value escaped.

const typeLabels: Record<ApprovalType, string> = {
  milestone_fund: 'Fund milestone',
  milestone_approve: 'Approve and release milestone',
  contract_end: 'End contract',
  proposal_hire: 'Hire from proposal',
};

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** The app's words for the API's values, as the sandbox page shows them too (web/ot-parts.js). */
const milestoneLabels: Record<MilestoneStatus, string> = {
  NOT_FUNDED: 'Not funded',
  ACTIVE_FUNDED: 'Funded',
  PAID: 'Paid',
  CANCELLED: 'Cancelled',
  REFUNDED: 'Refunded',
};
const approvalLabels: Record<string, string> = {
  pending: 'Pending: waiting for a signed-in person',
  confirmed: 'Confirmed',
  declined: 'Declined',
  expired: 'Expired without a decision',
};
const contractLabels: Record<ContractStatus, string> = { active: 'active', ended: 'ended' };

/** A status OpenTrain may add later (`on_hold`) reads as words: "On hold". */
function statusWords(status: string): string {
  const known = approvalLabels[status];
  if (known !== undefined) return known;
  const words = status.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * "Wed, Dec 2, 2026, 7:08 AM UTC". The page is rendered on the server, which cannot know the reader's
 * timezone (and the page runs no scripts), so it says UTC rather than pretend to be local time.
 */
const dateTime = new Intl.DateTimeFormat('en-US', {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});
const relativeFormat = new Intl.RelativeTimeFormat('en-US', { numeric: 'auto' });

function money(amount: number | null | undefined): string {
  return amount === null || amount === undefined ? '-' : usd.format(amount);
}

/** "in 3 days", "5 minutes ago", relative to the simulated now. */
function relative(state: SimState, iso: string): string {
  const diff = Date.parse(iso) - state.clock.now().getTime();
  const abs = Math.abs(diff);
  if (abs < 60_000) return relativeFormat.format(Math.round(diff / 1_000), 'second');
  if (abs < 3_600_000) return relativeFormat.format(Math.round(diff / 60_000), 'minute');
  if (abs < 2 * 86_400_000) return relativeFormat.format(Math.round(diff / 3_600_000), 'hour');
  return relativeFormat.format(Math.round(diff / 86_400_000), 'day');
}

function when(state: SimState, iso: string): string {
  return `${dateTime.format(new Date(iso))} (${relative(state, iso)})`;
}

/** The result of a confirmed approval, in words: "Invoice INV-7001", "Contract C-504 started". */
function resultWords(result: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof result.invoiceId === 'string') parts.push(`Invoice ${result.invoiceId}`);
  if (typeof result.payoutTransactionId === 'string') parts.push(`payout ${result.payoutTransactionId}`);
  if (result.hired === true && typeof result.contractId === 'string') {
    parts.push(`Hired: contract ${result.contractId}`);
  }
  if (result.contractEnded === true) parts.push('Contract ended');
  return parts.length > 0 ? parts.join(', ') : 'Done';
}

function rows(state: SimState, a: ApprovalRecord): Array<[string, string]> {
  const milestone = a.milestoneId === null ? undefined : state.milestones.get(a.milestoneId);
  const contract = a.contractId === null ? undefined : state.contracts.get(a.contractId);
  const proposal = a.proposalId === null ? undefined : state.proposals.get(a.proposalId);
  const job = a.jobId === null ? undefined : state.jobs.get(a.jobId);
  const trainer = contract?.freelancer ?? proposal?.freelancer;
  const list: Array<[string, string]> = [['Request', typeLabels[a.type]]];
  if (milestone !== undefined) {
    list.push([
      'Milestone',
      `${milestone.name} (${milestone.id}, ${milestoneLabels[milestone.status].toLowerCase()})`,
    ]);
    list.push(['Amount', money(milestone.amountUsd)]);
  }
  if (a.terms !== null) {
    list.push(['First milestone', a.terms.name ?? a.terms.description ?? '-']);
    list.push(['Amount', `${money(a.terms.amount)} + 10% marketplace fee + $9.95 contract fee`]);
  }
  if (contract !== undefined) {
    list.push(['Contract', `${contract.title} (${contract.id}, ${contractLabels[contract.status]})`]);
  }
  if (proposal !== undefined) list.push(['Proposal', proposal.id]);
  if (job !== undefined) list.push(['Job', `${job.title} (${job.id})`]);
  if (trainer !== undefined) {
    list.push([
      'AI trainer',
      trainer.country === '' ? trainer.displayName : `${trainer.displayName}, ${trainer.country}`,
    ]);
  }
  list.push(['Status', statusWords(a.reportedStatus ?? a.status)]);
  list.push(['Requested', when(state, a.createdAt)]);
  list.push([a.status === 'pending' ? 'Expires' : 'Expiry', when(state, a.expiresAt)]);
  if (a.resolvedAt !== null && a.status !== 'expired') {
    list.push([a.status === 'confirmed' ? 'Confirmed' : 'Decided', dateTime.format(new Date(a.resolvedAt))]);
  }
  if (a.result !== null) list.push(['Result', resultWords(a.result)]);
  return list;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - OpenTrain (simulated)</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d1f24}
main{max-width:640px;margin:40px auto;background:#fff;border-radius:10px;padding:28px 32px;box-shadow:0 1px 4px #0002}
h1{font-size:20px;margin:0 0 4px}.sub{color:#666;margin:0 0 20px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{width:30%;color:#555;font-weight:500}.status{font-weight:600}
.flash{padding:10px 12px;border-radius:6px;margin:0 0 16px}.ok{background:#e7f6ec}.err{background:#fdecea}
.actions{display:flex;gap:12px;margin-top:20px}button{font:inherit;padding:8px 18px;border-radius:6px;border:0;cursor:pointer}
.confirm{background:#1f7a3f;color:#fff}.decline{background:#e3e5e8}
</style></head><body><main>${body}</main></body></html>`;
}

export interface PageFlash {
  done: string | null;
  error: string | null;
}

export function renderApprovalPage(
  state: SimState,
  approvalId: string,
  flash: PageFlash,
): { status: number; html: string } {
  const approval = state.approvals.get(approvalId);
  if (approval === undefined) {
    const body = `<h1>Approval not found</h1><p class="sub">No approval with id ${escapeHtml(approvalId)}.</p>`;
    return { status: 404, html: layout('Approval not found', body) };
  }
  // Opening the page reads the approval, so it gets the same lazy expiry as GET /approvals/{id}.
  refreshApproval(state, approval);
  const id = escapeHtml(approval.id);
  const action = `${controlBasePath}/approvals/${encodeURIComponent(approval.id)}`;
  let notice = '';
  if (flash.error !== null) notice = `<p class="flash err">${escapeHtml(flash.error)}</p>`;
  else if (flash.done !== null)
    notice = `<p class="flash ok">Done: the approval is now ${escapeHtml(approval.status)}. Countersign sees it at its next poll.</p>`;
  const table = rows(state, approval)
    .map(
      ([k, v]) =>
        `<tr><th>${escapeHtml(k)}</th><td${k === 'Status' ? ' class="status"' : ''}>${escapeHtml(v)}</td></tr>`,
    )
    .join('');
  const buttons =
    approval.status === 'pending'
      ? `<div class="actions">
<form method="post" action="${escapeHtml(`${action}/confirm`)}"><button class="confirm" type="submit">Confirm</button></form>
<form method="post" action="${escapeHtml(`${action}/decline`)}"><button class="decline" type="submit">Decline</button></form>
</div>`
      : '';
  const body = `<h1>${escapeHtml(typeLabels[approval.type])} - ${id}</h1>
<p class="sub">An agent asked for this. Nothing happens until a signed-in human confirms it.</p>
${notice}<table>${table}</table>${buttons}`;
  return { status: 200, html: layout(`Approval ${approval.id}`, body) };
}
