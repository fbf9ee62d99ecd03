// @ts-check
// The sandbox page: one live state from the server (Server-Sent Events), drawn into a Slack pane and an
// OpenTrain pane. Every action goes to the server, which acts through the fakes exactly like the products:
// a typed command becomes a signed slash command, a clicked card button a signed block_actions, opening the
// app's Home tab a signed app_home_opened event.

import { renderClock, renderGuide, renderTraffic } from './chrome.js';
import { announceRestart, connect } from './connection.js';
import { advance, post, setUpClockControls, setUpComposer, toast } from './controls.js';
import { byId } from './dom.js';
import { drawStaticIcons, icon } from './icons.js';
import { loadMemory, saveMemory } from './memory.js';
import { renderOpenTrain } from './opentrain-view.js';
import {
  channelTopic,
  newestTs,
  renderContext,
  renderHome,
  renderMessages,
  renderSidebar,
} from './slack-view.js';

/** @type {any} */
let state;
/** @type {import('./slack-view.js').SlackUi} */
const slackUi = {
  channel: '',
  appTab: 'messages',
  lastSeen: new Map(),
  openThreads: new Set(),
  highlight: undefined,
  signatures: new Map(),
  drawn: new Set(),
};
/** @type {import('./opentrain-view.js').OpenTrainUi} */
const otUi = { tab: 'contracts', approvalId: undefined, notice: undefined };
/** The sandbox run the page is showing; another one means the sandbox restarted. */
let runId = '';
let firstRender = true;
// Redraw a pane only when what it shows changed: a redraw under a pressed mouse button would eat the click.
let messagesDrawn = '';
let openTrainDrawn = '';

const composer = /** @type {HTMLInputElement} */ (byId('composer-input'));

function nowMs() {
  return Date.now() + (state?.offsetMs ?? 0);
}

/** @param {any} channel */
function isApp(channel) {
  return channel?.kind === 'im';
}

/**
 * A new state from the server. A new run id means the sandbox restarted: what the page remembered (what was
 * read, open threads, the approval on show) belongs to the old run, so it is dropped, and the page says so.
 * @param {any} next
 */
function receive(next) {
  const previousRun = runId === '' ? loadMemory()?.runId : runId;
  state = next;
  if (state.run.id !== runId) {
    const memory = loadMemory();
    const restarted = previousRun !== undefined && previousRun !== state.run.id;
    runId = state.run.id;
    slackUi.lastSeen = new Map();
    slackUi.openThreads.clear();
    slackUi.signatures.clear();
    slackUi.drawn.clear();
    slackUi.highlight = undefined;
    otUi.approvalId = undefined;
    otUi.notice = undefined;
    // Unread badges survive a reload of the same run; everything else the page saw before counts as read.
    for (const channel of state.slack.sidebar) {
      const seen = memory?.runId === runId ? memory.lastSeen[channel.id] : undefined;
      slackUi.lastSeen.set(channel.id, seen ?? newestTs(state, channel.id));
    }
    firstRender = true;
    if (restarted) announceRestart();
  }
  render();
}

function render() {
  if (state === undefined) return;
  const sidebar = /** @type {any[]} */ (state.slack.sidebar);
  if (!sidebar.some((channel) => channel.id === slackUi.channel)) slackUi.channel = state.typingChannel;
  const open = sidebar.find((channel) => channel.id === slackUi.channel);
  const app = isApp(open);
  const home = app && slackUi.appTab === 'home';
  if (!home) slackUi.lastSeen.set(slackUi.channel, newestTs(state, slackUi.channel));
  saveMemory(runId, slackUi.lastSeen);
  renderSidebar(byId('channel-list'), byId('app-list'), state, slackUi);
  renderConversationChrome(open, app, home);

  const minute = Math.floor(nowMs() / 60_000);
  const messages = JSON.stringify([
    slackUi.channel,
    home ? state.slack.home : state.slack.messages[slackUi.channel],
    home ? null : state.slack.ephemerals,
    [...slackUi.openThreads],
    slackUi.highlight,
    slackUi.appTab,
    minute,
  ]);
  if (messages !== messagesDrawn) {
    const ctx = renderContext(state, nowMs);
    if (home) renderHome(byId('home-view'), state, ctx);
    else renderMessages(byId('messages'), state, slackUi, ctx, firstRender);
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

/**
 * The header, the app's Home/Messages tabs, and the composer: the app's Messages tab is read-only, as the
 * manifest sets it (messages_tab_read_only_enabled), so it has a notice where the composer would be.
 * @param {any} open the open channel
 * @param {boolean} app
 * @param {boolean} home
 */
function renderConversationChrome(open, app, home) {
  const title = byId('conv-title');
  if (app)
    title.replaceChildren(
      open.label,
      Object.assign(document.createElement('span'), { className: 'app-badge', textContent: 'APP' }),
    );
  else if (open.kind === 'private') title.replaceChildren(icon('padlock'), ` ${open.label}`);
  else title.textContent = `#${open.label}`;
  byId('conv-topic').textContent = channelTopic(state, slackUi.channel);
  byId('app-tabs').hidden = !app;
  for (const tab of document.querySelectorAll('[data-app-tab]')) {
    tab.setAttribute(
      'aria-selected',
      String(tab instanceof HTMLElement && tab.dataset.appTab === slackUi.appTab),
    );
  }
  byId('messages').hidden = home;
  byId('home-view').hidden = !home;
  byId('composer').hidden = app;
  byId('read-only').hidden = !app || home;
  // A phone has no room for the hint after the channel name.
  const hint = window.innerWidth > 640 ? '  (try /fund-milestone M-1001)' : '';
  composer.placeholder = `Message #${open.label}${hint}`;
}

/** Opening the Home tab: Slack sends the app a signed app_home_opened, and the bot publishes the view. */
function openHome() {
  post('/sandbox/app-home', {}).catch(toast);
}

/** @param {string} channel @param {string} [ts] */
function showChannel(channel, ts) {
  slackUi.channel = channel;
  slackUi.highlight = ts === undefined ? undefined : { channel, ts };
  const open = state?.slack.sidebar.find((/** @type {any} */ c) => c.id === channel);
  if (isApp(open) && ts !== undefined) slackUi.appTab = 'messages';
  render();
  if (isApp(open) && slackUi.appTab === 'home') openHome();
  if (!isApp(open)) composer.focus();
}

/** @param {'home' | 'messages'} tab */
function showAppTab(tab) {
  slackUi.appTab = tab;
  render();
  if (tab === 'home') openHome();
}

/** @param {string} approvalId */
function openApproval(approvalId) {
  otUi.approvalId = approvalId;
  otUi.tab = 'approvals';
  render();
  byId('opentrain').scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  post(`/sandbox/approvals/${encodeURIComponent(approvalId)}/open`, {}).catch(toast);
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
  post('/sandbox/click', { channelId: channel, messageTs, actionId }).catch(toast);
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
  if (data.appTab !== undefined) return showAppTab(data.appTab === 'home' ? 'home' : 'messages');
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
    if (isApp(state?.slack.sidebar.find((/** @type {any} */ c) => c.id === slackUi.channel))) {
      showChannel(state.typingChannel);
    }
    composer.value = `/fund-milestone ${data.fill}`;
    composer.dispatchEvent(new Event('input'));
    return composer.focus();
  }
  if (data.advance !== undefined) return void advance(data.advance);
  const inMessages = el.closest('#messages, #home-view') !== null;
  if (el instanceof HTMLAnchorElement && inMessages && followInside(el.href)) event.preventDefault();
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
  post('/sandbox/account', { [input.dataset.account]: value }).catch(toast);
});

drawStaticIcons();
setUpClockControls();
setUpComposer(() => slackUi.channel);
connect((data) => receive(JSON.parse(data)));
// Only the clock's seconds tick locally; everything else arrives as state.
setInterval(() => {
  if (state !== undefined) renderClock(state, nowMs());
}, 1_000);
