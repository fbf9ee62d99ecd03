// @ts-check
// The page approvalUrl opens in the sandbox: the request, its state, and Confirm / Decline for a person.

import { h } from './dom.js';
import { icon } from './icons.js';
import { approvalLabels, money, pill } from './ot-parts.js';
import { formatDateTime, relativeTo } from './time.js';

/** @typedef {any} PageState */

/**
 * The page approvalUrl opens: what a signed-in OpenTrain user sees before they confirm.
 * @param {any} a
 * @param {PageState} state
 * @param {import('./opentrain-view.js').OpenTrainUi} ui
 * @param {number} nowMs
 */
export function approvalPage(a, state, ui, nowMs) {
  const expires = new Date(a.expiresAt);
  const facts = [
    ['Milestone', a.milestoneName === null ? a.milestoneId : `${a.milestoneName} (${a.milestoneId})`],
    ['Amount', money(a.amountUsd)],
    ['Contract', a.contractTitle === null ? a.contractId : `${a.contractTitle} (${a.contractId})`],
    ['AI trainer', a.freelancer],
    ['Requested', `${formatDateTime(new Date(a.createdAt))} (${relativeTo(Date.parse(a.createdAt), nowMs)})`],
    [
      a.status === 'pending' ? 'Expires' : 'Expiry',
      `${formatDateTime(expires)} (${relativeTo(expires.getTime(), nowMs)})`,
    ],
    [
      a.status === 'confirmed' ? 'Confirmed' : 'Declined',
      a.resolvedAt === null || a.status === 'expired' ? null : formatDateTime(new Date(a.resolvedAt)),
    ],
    ['Invoice', typeof a.result?.invoiceId === 'string' ? a.result.invoiceId : null],
  ].filter(([, value]) => value !== null && value !== undefined);
  const notice = ui.notice?.approvalId === a.id ? ui.notice : undefined;
  const canDecide = a.status === 'pending' && !a.lapsed;
  return h(
    'article',
    { class: 'approval-page', 'data-approval': a.id, 'data-status': a.status },
    h('button', { type: 'button', class: 'linkish back', 'data-ot-tab': 'approvals' }, '← All approvals'),
    h('p', { class: 'eyebrow' }, `Approval request · ${a.id}`),
    h('h3', {}, `Fund milestone: ${a.milestoneName ?? a.milestoneId}`),
    h(
      'p',
      { class: 'muted' },
      'Countersign asked for this through the API. Nothing is charged until a signed-in person confirms it here.',
    ),
    h(
      'div',
      { class: `status-banner ${approvalLabels[a.status]?.[1] ?? 'grey'}` },
      pill(approvalLabels[a.status], a.status),
      statusSentence(a, state),
    ),
    h(
      'dl',
      { class: 'facts' },
      facts.map(([label, value]) => [h('dt', {}, String(label)), h('dd', {}, String(value))]),
    ),
    notice === undefined
      ? null
      : h('p', { class: `notice ${notice.ok ? 'ok' : 'error'}`, role: 'status' }, notice.text),
    canDecide
      ? h(
          'div',
          { class: 'decide' },
          h(
            'button',
            { type: 'button', class: 'confirm', 'data-ot-action': 'confirm', 'data-approval': a.id },
            `Confirm and fund ${money(a.amountUsd)}`,
          ),
          h(
            'button',
            { type: 'button', class: 'decline', 'data-ot-action': 'decline', 'data-approval': a.id },
            'Decline',
          ),
        )
      : null,
    h(
      'a',
      { class: 'external', href: a.approvalUrl, target: '_blank', rel: 'noopener noreferrer' },
      'Open the simulator’s own approval page ',
      icon('external'),
    ),
  );
}

/** @param {any} a @param {PageState} state */
function statusSentence(a, state) {
  const poll = `Countersign polls every ${Math.round(state.pollEveryMs / 1000)} s here (30 s by default)`;
  if (a.status === 'pending' && a.lapsed)
    return 'Lapsed without a decision. OpenTrain marks it expired the next time anyone reads it.';
  if (a.status === 'pending') return 'Waiting for a person to confirm or decline.';
  if (a.status === 'confirmed')
    return `Funded: the money is in escrow. ${poll}, then edits the card and DMs the requester.`;
  if (a.status === 'declined') return `Declined; nothing was charged. ${poll}, then edits the card.`;
  return 'Expired without a decision; nothing was charged.';
}
