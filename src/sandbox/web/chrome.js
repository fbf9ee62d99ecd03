// @ts-check
// Around the two products: the simulated clock, the guided path and the "on the wire" log.

import { byId, h, replace } from './dom.js';
import { shortDuration } from './time.js';

/** @typedef {any} PageState */

/**
 * @param {PageState} state
 * @param {number} nowMs simulated now
 */
export function renderClock(state, nowMs) {
  const now = new Date(nowMs);
  const clock = byId('clock-now');
  clock.textContent = new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
  }).format(now);
  clock.setAttribute('datetime', now.toISOString());
  const ahead =
    state.offsetMs > 30_000 ? `+${shortDuration(state.offsetMs)} ahead of real time` : 'real time';
  byId('clock-ahead').textContent = ahead;
}

const hints = [
  'It all runs for real: what you type reaches the bot as a signed slash command, and the bot calls OpenTrain and Slack over HTTP (see “On the wire” below).',
  'The card is in #finance-approvals. Its button opens the approval in OpenTrain, and Slack tells the bot it was clicked.',
  'Confirm in the OpenTrain pane. Countersign sees it at its next poll and edits the card in place.',
];

/**
 * Ticks the three steps off from what actually happened, so the guide also works after a reload.
 * @param {PageState} state
 */
export function renderGuide(state) {
  const approvals = state.opentrain.approvals;
  const done = [
    approvals.length > 0,
    state.opened.length > 0,
    approvals.some((/** @type {any} */ a) => a.status === 'confirmed'),
  ];
  const current = done.indexOf(false);
  done.forEach((isDone, index) => {
    const step = byId(`step-${index + 1}`);
    step.classList.toggle('done', isDone);
    step.classList.toggle('current', index === current);
  });
  const next = byId('guide-next');
  if (current === -1) {
    replace(
      next,
      h('strong', {}, 'That’s the loop. '),
      'Now move the clock: +71 h brings the 1-hour reminder DM for an open request, +1 h more expires it and edits its card.',
    );
  } else next.textContent = hints[current] ?? '';
  const account = state.opentrain.account;
  for (const input of document.querySelectorAll('input[data-account]')) {
    if (!(input instanceof HTMLInputElement)) continue;
    const field = input.dataset.account;
    if (field === undefined || !(field in account)) continue;
    const checkedMeans = input.dataset.valueWhenChecked === 'true';
    input.checked = account[/** @type {keyof typeof account} */ (field)] === checkedMeans;
  }
}

const clockTime = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

const routes = /** @type {Record<string, [string, string, string]>} */ ({
  'slack-to-bot': ['Slack', 'bot', 'in'],
  'bot-to-slack': ['bot', 'Slack', 'slack'],
  'bot-to-opentrain': ['bot', 'OpenTrain', 'ot'],
});

/** @param {PageState} state */
export function renderTraffic(state) {
  const entries = /** @type {any[]} */ (state.traffic);
  const rows = [...entries].reverse().map((entry) => {
    const [from, to, tone] = routes[entry.route] ?? ['?', '?', 'ot'];
    return h(
      'li',
      { class: entry.ok ? '' : 'failed' },
      h('time', { datetime: entry.at }, clockTime.format(new Date(entry.at))),
      h('span', { class: `route ${tone}` }, `${from} → ${to}`),
      h('code', {}, entry.label),
      h('span', { class: 'outcome' }, entry.outcome),
      entry.count > 1 ? h('span', { class: 'muted' }, `×${entry.count}`) : null,
    );
  });
  replace(byId('traffic-list'), rows);
  const last = [...entries]
    .reverse()
    .find((entry) => entry.route !== 'bot-to-opentrain' || entry.label !== 'GET /updates');
  const summary = byId('traffic-last');
  if (last === undefined) summary.textContent = 'nothing yet';
  else {
    const [from, to] = routes[last.route] ?? ['?', '?'];
    summary.textContent = `last: ${from} → ${to} ${last.label} · ${last.outcome}`;
  }
}
