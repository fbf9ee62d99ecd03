// @ts-check
// The sandbox page: one live state from the server (Server-Sent Events), drawn into a Slack pane and an
// OpenTrain pane. Every action goes to the server, which acts through the fakes exactly like the products:
// a typed command becomes a signed slash command, a clicked card button a signed block_actions.

import { renderClock, renderConnection, renderGuide, renderTraffic } from './chrome.js';
import { advance, post, setUpClockControls, setUpComposer, toast } from './controls.js';
import { byId } from './dom.js';
import { renderOpenTrain } from './opentrain-view.js';
import { channelTopic, newestTs, renderContext, renderMessages, renderSidebar } from './slack-view.js';

/** @type {any} */
let state;
/** @type {import('./slack-view.js').SlackUi} */
const slackUi = {
  channel: '',
  lastSeen: new Map(),
  openThreads: new Set(),
  highlight: undefined,
  signatures: new Map(),
  drawn: new Set(),
};
/** @type {import('./opentrain-view.js').OpenTrainUi} */
const otUi = { tab: 'contracts', approvalId: undefined, notice: undefined };
let firstRender = true;
// Redraw a pane only when what it shows changed: a redraw under a pressed mouse button would eat the click.
let messagesDrawn = '';
let openTrainDrawn = '';

const composer = /** @type {HTMLInputElement} */ (byId('composer-input'));

function nowMs() {
  return Date.now() + (state?.offsetMs ?? 0);
}

function render() {
  if (state === undefined) return;
  const sidebar = /** @type {any[]} */ (state.slack.sidebar);
  if (!sidebar.some((channel) => channel.id === slackUi.channel)) slackUi.channel = state.typingChannel;
  if (firstRender)
    for (const channel of sidebar) slackUi.lastSeen.set(channel.id, newestTs(state, channel.id));
  slackUi.lastSeen.set(slackUi.channel, newestTs(state, slackUi.channel));
  const open = sidebar.find((channel) => channel.id === slackUi.channel);
  renderSidebar(byId('channel-list'), byId('app-list'), state, slackUi);
  byId('conv-title').textContent =
    open.kind === 'im' ? `${open.label} (app)` : `${open.kind === 'private' ? '🔒 ' : '#'}${open.label}`;
  byId('conv-topic').textContent = channelTopic(state, slackUi.channel);
  composer.placeholder = `Message ${open.kind === 'im' ? open.label : `#${open.label}`}  (try /fund-milestone M-1001)`;

  const minute = Math.floor(nowMs() / 60_000);
  const messages = JSON.stringify([
    slackUi.channel,
    state.slack.messages[slackUi.channel],
    state.slack.ephemerals,
    [...slackUi.openThreads],
    slackUi.highlight,
    minute,
  ]);
  if (messages !== messagesDrawn) {
    renderMessages(byId('messages'), state, slackUi, renderContext(state, nowMs), firstRender);
    messagesDrawn = messages;
  }
  const openTrain = JSON.stringify([state.opentrain, state.pollEveryMs, otUi, minute]);
  if (openTrain !== openTrainDrawn) {
    renderOpenTrain(byId('ot-body'), byId('ot-tabs'), state, otUi, nowMs());
    openTrainDrawn = openTrain;
  }
  renderGuide(state);
  renderTraffic(state);
  renderClock(state, nowMs());
  firstRender = false;
}

/** @param {string} channel @param {string} [ts] */
function showChannel(channel, ts) {
  slackUi.channel = channel;
  slackUi.highlight = ts === undefined ? undefined : { channel, ts };
  render();
  composer.focus();
}

/** @param {string} approvalId */
function openApproval(approvalId) {
  otUi.approvalId = approvalId;
  otUi.tab = 'approvals';
  render();
  byId('opentrain').scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  post(`/sandbox/approvals/${encodeURIComponent(approvalId)}/open`, {}).catch((error) =>
    toast(error.message),
  );
}

/**
 * Links that stay in the sandbox: approval pages, Slack permalinks, and OpenTrain's billing and claim pages
 * (which the refusals point at) all open in the matching pane. Answers whether it handled the link.
 * @param {string} href
 */
function followInside(href) {
  const url = new URL(href, window.location.href);
  const local =
    url.port === window.location.port && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  const approval = local ? /^\/approvals\/([^/]+)$/.exec(url.pathname) : null;
  if (approval !== null) {
    openApproval(decodeURIComponent(approval[1] ?? ''));
    return true;
  }
  const permalink = local ? /^\/slack\/archives\/([^/]+)\/p(\d{7,})$/.exec(url.pathname) : null;
  if (permalink !== null) {
    const digits = permalink[2] ?? '';
    showChannel(permalink[1] ?? '', `${digits.slice(0, -6)}.${digits.slice(-6)}`);
    return true;
  }
  if (url.hostname === 'app.opentrain.ai' && /^\/(settings\/billing|claim)/.test(url.pathname)) {
    otUi.tab = 'account';
    otUi.approvalId = undefined;
    render();
    return true;
  }
  return false;
}

/**
 * A card's URL button: Slack opens the link and also sends the app a signed block_actions; so does this.
 * @param {HTMLAnchorElement} link
 * @param {MouseEvent} event
 */
function pressUrlButton(link, event) {
  const { actionId, messageTs, channel } = link.dataset;
  const newTab = event.ctrlKey || event.metaKey || event.shiftKey || event.button === 1;
  if (!newTab) {
    event.preventDefault();
    if (!followInside(link.href)) window.open(link.href, '_blank', 'noopener,noreferrer');
  }
  post('/sandbox/click', { channelId: channel, messageTs, actionId }).catch((error) => toast(error.message));
}

/** @param {string} approvalId @param {'confirm' | 'decline'} action */
async function decide(approvalId, action) {
  try {
    await post(`/sandbox/approvals/${encodeURIComponent(approvalId)}/${action}`, {});
    const where = `#${state.slack.channelNames[state.fundChannel] ?? 'finance-approvals'}`;
    otUi.notice = {
      approvalId,
      ok: true,
      text: `${action === 'confirm' ? 'Confirmed' : 'Declined'} in OpenTrain. Watch the card in ${where} change.`,
    };
  } catch (error) {
    otUi.notice = { approvalId, ok: false, text: error instanceof Error ? error.message : String(error) };
  }
  render();
}

document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const el = target?.closest('[data-action-id], a, button, [data-channel]');
  if (!(el instanceof HTMLElement)) return;
  const data = el.dataset;
  if (el instanceof HTMLAnchorElement && data.actionId !== undefined) return pressUrlButton(el, event);
  if (data.channel !== undefined) {
    event.preventDefault();
    return showChannel(data.channel);
  }
  if (data.thread !== undefined) {
    if (slackUi.openThreads.has(data.thread)) slackUi.openThreads.delete(data.thread);
    else slackUi.openThreads.add(data.thread);
    return render();
  }
  if (data.otTab !== undefined) {
    otUi.tab = data.otTab === 'approvals' || data.otTab === 'account' ? data.otTab : 'contracts';
    otUi.approvalId = undefined;
    return render();
  }
  if (data.openApproval !== undefined) return openApproval(data.openApproval);
  if (data.otAction !== undefined && data.approval !== undefined) {
    el.setAttribute('disabled', '');
    return void decide(data.approval, data.otAction === 'decline' ? 'decline' : 'confirm');
  }
  if (data.fill !== undefined) {
    composer.value = `/fund-milestone ${data.fill}`;
    composer.dispatchEvent(new Event('input'));
    return composer.focus();
  }
  if (data.advance !== undefined) return void advance(data.advance);
  if (el instanceof HTMLAnchorElement && el.closest('#messages') !== null && followInside(el.href))
    event.preventDefault();
});

// A middle click opens a link in a new tab without a click event; Slack still reports the button press.
document.addEventListener('auxclick', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[data-action-id]') : null;
  if (link instanceof HTMLAnchorElement && event.button === 1) pressUrlButton(link, event);
});

document.addEventListener('change', (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.dataset.account === undefined) return;
  const checkedMeans = input.dataset.valueWhenChecked === 'true';
  const value = input.checked ? checkedMeans : !checkedMeans;
  post('/sandbox/account', { [input.dataset.account]: value }).catch((error) => toast(error.message));
});

setUpClockControls();
setUpComposer(() => slackUi.channel);

const events = new EventSource('/sandbox/events');
events.addEventListener('state', (event) => {
  state = JSON.parse(/** @type {MessageEvent} */ (event).data);
  renderConnection('live');
  render();
});
events.addEventListener('error', () =>
  renderConnection(events.readyState === EventSource.CLOSED ? 'down' : 'connecting'),
);
// Only the clock's seconds tick locally; everything else arrives as state.
setInterval(() => {
  if (state !== undefined) renderClock(state, nowMs());
}, 1_000);
