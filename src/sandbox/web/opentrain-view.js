// @ts-check
// The OpenTrain side of the page: the employer's contracts and milestones, the approvals agents asked for,
// the approval page a human confirms on, and the account switches that produce OpenTrain's refusals.

import { approvalPage } from './approval-page.js';
import { h, replace } from './dom.js';
import { approvalLabels, milestoneLabels, money, pill } from './ot-parts.js';
import { relativeTo } from './time.js';

/**
 * @typedef {any} PageState
 * @typedef {object} OpenTrainUi
 * @property {'contracts' | 'approvals' | 'account'} tab
 * @property {string | undefined} approvalId the approval page on show, if any
 * @property {{ approvalId: string; ok: boolean; text: string } | undefined} notice after Confirm or Decline
 */

/** What /fund-milestone answers for each seeded milestone, so the list doubles as a menu of outcomes. */
const outcomeHints = /** @type {Record<string, string>} */ ({
  'M-1001': 'fundable: the guided path',
  'M-1002': 'fundable',
  'M-1003': 'already funded → not fundable',
  'M-1004': 'cancelled → refused',
  'M-1005': 'contract ended → refused',
});

/**
 * @param {HTMLElement} body
 * @param {HTMLElement} tabs
 * @param {PageState} state
 * @param {OpenTrainUi} ui
 * @param {number} nowMs
 */
export function renderOpenTrain(body, tabs, state, ui, nowMs) {
  const pending = state.opentrain.approvals.filter((/** @type {any} */ a) => a.status === 'pending').length;
  replace(
    tabs,
    [
      ['contracts', 'Contracts', 0],
      ['approvals', 'Approvals', pending],
      ['account', 'Account', 0],
    ].map(([id, label, count]) =>
      h(
        'button',
        {
          type: 'button',
          role: 'tab',
          class: 'tab',
          'data-ot-tab': id,
          'aria-selected': String(ui.tab === id && ui.approvalId === undefined),
        },
        String(label),
        Number(count) > 0 ? h('span', { class: 'count' }, String(count)) : null,
      ),
    ),
  );
  const approval = state.opentrain.approvals.find((/** @type {any} */ a) => a.id === ui.approvalId);
  if (approval !== undefined) replace(body, approvalPage(approval, state, ui, nowMs));
  else if (ui.tab === 'approvals') replace(body, approvalList(state, nowMs));
  else if (ui.tab === 'account') replace(body, accountView(state));
  else replace(body, contractList(state));
}

/** @param {PageState} state */
function contractList(state) {
  const pendingFor = new Map(
    state.opentrain.approvals
      .filter((/** @type {any} */ a) => a.status === 'pending' && a.milestoneId !== null)
      .map((/** @type {any} */ a) => [a.milestoneId, a.id]),
  );
  return state.opentrain.contracts.map((/** @type {any} */ contract) =>
    h(
      'section',
      { class: 'contract' },
      h(
        'header',
        {},
        h('h3', {}, contract.title),
        pill(contract.status === 'active' ? ['Active', 'green'] : ['Ended', 'grey'], contract.status),
      ),
      h(
        'p',
        { class: 'muted' },
        `${contract.id} · with ${contract.freelancer}${contract.jobTitle ? ` · ${contract.jobTitle}` : ''}`,
      ),
      h(
        'table',
        { class: 'milestones' },
        contract.milestones.map((/** @type {any} */ m) => {
          const approvalId = pendingFor.get(m.id);
          return h(
            'tr',
            { 'data-milestone': m.id },
            h('td', {}, h('code', {}, m.id)),
            h('td', {}, h('div', {}, m.name), h('div', { class: 'hint' }, outcomeHints[m.id] ?? '')),
            h('td', { class: 'amount' }, money(m.amountUsd)),
            h('td', {}, pill(milestoneLabels[m.status], m.status)),
            h(
              'td',
              { class: 'row-action' },
              approvalId === undefined
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'linkish',
                      'data-fill': m.id,
                      title: 'Put the command in the Slack composer',
                    },
                    'Try in Slack',
                  )
                : h(
                    'button',
                    { type: 'button', class: 'linkish', 'data-open-approval': approvalId },
                    'Approval pending →',
                  ),
            ),
          );
        }),
      ),
    ),
  );
}

/** @param {PageState} state @param {number} nowMs */
function approvalList(state, nowMs) {
  const approvals = [...state.opentrain.approvals].reverse();
  if (approvals.length === 0) {
    return h(
      'p',
      { class: 'empty' },
      'No approvals yet. Run /fund-milestone M-1001 in Slack: Countersign asks OpenTrain to fund it, and the request shows up here.',
    );
  }
  return h(
    'ul',
    { class: 'approvals' },
    approvals.map((/** @type {any} */ a) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'approval-row', 'data-open-approval': a.id },
          h(
            'span',
            { class: 'title' },
            `Fund ${a.milestoneName ?? a.milestoneId ?? a.type}`,
            h('span', { class: 'amount' }, money(a.amountUsd)),
          ),
          h('span', { class: 'muted' }, `${a.id} · ${when(a, nowMs)}`),
          pill(approvalLabels[a.status], a.status),
        ),
      ),
    ),
  );
}

/**
 * "expires in 3 days", "confirmed 2 minutes ago", "lapsed".
 * @param {any} a
 * @param {number} nowMs
 */
function when(a, nowMs) {
  if (a.status !== 'pending')
    return `${a.status} ${relativeTo(Date.parse(a.resolvedAt ?? a.expiresAt), nowMs)}`;
  return a.lapsed
    ? 'lapsed, not yet marked expired'
    : `expires ${relativeTo(Date.parse(a.expiresAt), nowMs)}`;
}
/** @param {PageState} state */
function accountView(state) {
  const { account, owner } = state.opentrain;
  return h(
    'div',
    { class: 'account' },
    h(
      'p',
      { class: 'muted' },
      `Employer account of ${owner}. These switches make OpenTrain refuse the next funding request the way the real API does.`,
    ),
    toggle(
      'paymentMethod',
      account.paymentMethod,
      'Payment method on file',
      'Off: OpenTrain answers 409 payment_method_required, and Countersign links to billing settings.',
    ),
    toggle(
      'claimed',
      account.claimed,
      'Account claimed by a human',
      'Off: OpenTrain answers 403 account_claim_required, and Countersign links to the claim page.',
    ),
    toggle(
      'paymentsWriteScope',
      account.paymentsWriteScope,
      'Token has payments:write',
      'Off: OpenTrain answers 403 with requiredScopes, and Countersign says which scope to add to the token.',
    ),
    toggle(
      'paymentsApi',
      account.paymentsApi,
      'API payments enabled for the account',
      'Off: OpenTrain answers a bare 403; Countersign checks the capabilities and says the feature is off.',
    ),
  );
}

/**
 * @param {'paymentMethod' | 'claimed' | 'paymentsWriteScope' | 'paymentsApi'} field
 * @param {boolean} on
 * @param {string} label
 * @param {string} help
 */
function toggle(field, on, label, help) {
  return h(
    'label',
    { class: 'switch' },
    h('input', {
      type: 'checkbox',
      role: 'switch',
      'data-account': field,
      'data-value-when-checked': 'true',
      checked: on,
    }),
    h('span', { class: 'switch-text' }, h('strong', {}, label), h('span', { class: 'muted' }, help)),
  );
}
