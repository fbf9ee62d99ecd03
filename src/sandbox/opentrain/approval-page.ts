import { refreshApproval } from './approvals.js';
import { escapeHtml } from './http-io.js';
import { controlBasePath } from './sim-controls.js';
import type { SimState } from './state.js';
import type { ApprovalRecord, ApprovalType } from './types.js';

// What approvalUrl opens: a stand-in for OpenTrain's co-sign screen. Plain HTML forms, no scripts, no external
// assets, and every value escaped.

const typeLabels: Record<ApprovalType, string> = {
  milestone_fund: 'Fund milestone',
  milestone_approve: 'Approve and release milestone',
  contract_end: 'End contract',
  proposal_hire: 'Hire from proposal',
};

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

function money(amount: number | null | undefined): string {
  return amount === null || amount === undefined ? '-' : usd.format(amount);
}

function relative(state: SimState, iso: string): string {
  const hours = (Date.parse(iso) - state.clock.now().getTime()) / 3_600_000;
  const rounded =
    Math.abs(hours) < 1 ? `${Math.round(Math.abs(hours) * 60)} min` : `${Math.abs(hours).toFixed(1)} h`;
  return hours >= 0 ? `in ${rounded}` : `${rounded} ago`;
}

function rows(state: SimState, a: ApprovalRecord): Array<[string, string]> {
  const milestone = a.milestoneId === null ? undefined : state.milestones.get(a.milestoneId);
  const contract = a.contractId === null ? undefined : state.contracts.get(a.contractId);
  const proposal = a.proposalId === null ? undefined : state.proposals.get(a.proposalId);
  const job = a.jobId === null ? undefined : state.jobs.get(a.jobId);
  const freelancer = contract?.freelancer ?? proposal?.freelancer;
  const list: Array<[string, string]> = [['Request', typeLabels[a.type]]];
  if (milestone !== undefined) {
    list.push(['Milestone', `${milestone.name} (${milestone.id}, ${milestone.status})`]);
    list.push(['Amount', money(milestone.amountUsd)]);
  }
  if (a.terms !== null) {
    list.push(['First milestone', a.terms.name ?? a.terms.description ?? '-']);
    list.push(['Amount', `${money(a.terms.amount)} + 10% marketplace fee + $9.95 contract fee`]);
  }
  if (contract !== undefined)
    list.push(['Contract', `${contract.title} (${contract.id}, ${contract.status})`]);
  if (proposal !== undefined) list.push(['Proposal', proposal.id]);
  if (job !== undefined) list.push(['Job', `${job.title} (${job.id})`]);
  if (freelancer !== undefined) list.push(['Freelancer', `${freelancer.displayName}, ${freelancer.country}`]);
  list.push(['Status', a.status]);
  list.push(['Requested', `${a.createdAt} (${relative(state, a.createdAt)})`]);
  list.push([
    a.status === 'pending' ? 'Expires' : 'Expiry',
    `${a.expiresAt} (${relative(state, a.expiresAt)})`,
  ]);
  if (a.resolvedAt !== null) list.push(['Resolved', a.resolvedAt]);
  if (a.result !== null) list.push(['Result', JSON.stringify(a.result)]);
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
    notice = `<p class="flash ok">Done: the approval is now ${escapeHtml(approval.status)}.</p>`;
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
