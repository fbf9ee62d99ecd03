// @ts-check
// The Slack side of the page: sidebar, channel header and the message list, drawn from the Slack fake's
// record of what the bot really sent (blocks, edits, ephemerals, threads).

import { renderBlocks } from './blocks.js';
import { h, replace } from './dom.js';
import { icon } from './icons.js';
import { dayDivider, formatDateTime, formatTime } from './time.js';

/**
 * @typedef {any} PageState the JSON from /sandbox/state (src/sandbox/page-state.ts)
 * @typedef {object} SlackUi
 * @property {string} channel the open channel
 * @property {'home' | 'messages'} appTab which tab of the app's DM is open
 * @property {Map<string, string>} lastSeen newest ts seen per channel, for unread badges
 * @property {Set<string>} openThreads "channel/ts" of threads shown expanded
 * @property {{ channel: string; ts: string } | undefined} highlight a message to scroll to once
 * @property {Map<string, string>} signatures "channel/ts" → content, to flash what changed
 * @property {Set<string>} drawn channels drawn before: only news in those is animated
 */

/** @param {string} a @param {string} b */
export function compareTs(a, b) {
  const [as = '0', af = ''] = a.split('.');
  const [bs = '0', bf = ''] = b.split('.');
  return Number(as) - Number(bs) || af.localeCompare(bf);
}

/** @param {string} realName "Bob Mercer (PM)" → "Bob Mercer" */
export function displayName(realName) {
  return realName.replace(/\s*\(.*\)\s*$/, '');
}

/**
 * @param {PageState} state
 * @param {() => number} nowMs
 * @returns {import('./mrkdwn.js').RenderContext}
 */
export function renderContext(state, nowMs) {
  /** @type {Map<string, any>} */
  const users = new Map(state.slack.users.map((/** @type {any} */ user) => [user.id, user]));
  return {
    userName: (id) => {
      const user = users.get(id);
      return user === undefined ? id : displayName(user.realName);
    },
    channelName: (id) =>
      state.slack.channelNames[id] ?? state.slack.sidebar.find((/** @type {any} */ c) => c.id === id)?.label,
    nowMs,
  };
}

/**
 * Messages and your ephemerals in one channel, oldest first.
 * @param {PageState} state
 * @param {string} channel
 */
export function channelItems(state, channel) {
  const messages = (state.slack.messages[channel] ?? []).map((/** @type {any} */ m) => ({
    ephemeral: false,
    m,
  }));
  const ephemerals = state.slack.ephemerals
    .filter((/** @type {any} */ e) => e.channel === channel)
    .map((/** @type {any} */ m) => ({ ephemeral: true, m }));
  return [...messages, ...ephemerals].sort((a, b) => compareTs(a.m.ts, b.m.ts));
}

/** @param {PageState} state @param {string} channel */
export function newestTs(state, channel) {
  return channelItems(state, channel).at(-1)?.m.ts ?? '0';
}

/**
 * Channels in one list, the DM with the app in the other, each with its count of unseen messages.
 * @param {Element} channels
 * @param {Element} apps
 * @param {PageState} state
 * @param {SlackUi} ui
 */
export function renderSidebar(channels, apps, state, ui) {
  /** @param {any} channel */
  const row = (channel) => {
    const seen = ui.lastSeen.get(channel.id) ?? '0';
    const unread =
      channel.id === ui.channel
        ? 0
        : channelItems(state, channel.id).filter((item) => compareTs(item.m.ts, seen) > 0).length;
    const glyph = channel.kind === 'im' ? '●' : channel.kind === 'private' ? icon('padlock') : '#';
    const classes = ['channel', channel.id === ui.channel ? 'active' : '', unread > 0 ? 'unread' : ''];
    return h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: classes.filter(Boolean).join(' '),
          'data-channel': channel.id,
          'aria-current': channel.id === ui.channel ? 'page' : null,
        },
        h('span', { class: `glyph${channel.kind === 'im' ? ' app' : ''}`, 'aria-hidden': 'true' }, glyph),
        h('span', { class: 'name' }, channel.label),
        unread > 0 ? h('span', { class: 'badge', title: `${unread} new` }, String(unread)) : null,
      ),
    );
  };
  const all = /** @type {any[]} */ (state.slack.sidebar);
  replace(channels, all.filter((channel) => channel.kind !== 'im').map(row));
  replace(apps, all.filter((channel) => channel.kind === 'im').map(row));
}

/**
 * @param {any} item
 * @param {PageState} state
 */
function sender(item, state) {
  if (item.ephemeral && item.m.source === 'slack') return { name: 'Slackbot', bot: true, initial: 'S' };
  const userId = item.ephemeral ? state.slack.botUserId : item.m.user;
  const user = state.slack.users.find((/** @type {any} */ u) => u.id === userId);
  if (user?.isBot || item.m.botId !== undefined)
    return { name: 'Countersign', bot: true, initial: icon('check') };
  const name = user === undefined ? userId : displayName(user.realName);
  return { name, bot: false, initial: name.charAt(0).toUpperCase() };
}

/**
 * @param {any} item
 * @param {PageState} state
 * @param {SlackUi} ui
 * @param {import('./mrkdwn.js').RenderContext} ctx
 * @param {boolean} firstRender
 */
function messageElement(item, state, ui, ctx, firstRender) {
  const { m } = item;
  const key = `${m.channel}/${m.ts}${item.ephemeral ? '/e' : ''}`;
  const signature = JSON.stringify([m.text, m.blocks, m.edited, m.replies?.length ?? 0]);
  const before = ui.signatures.get(key);
  ui.signatures.set(key, signature);
  const changed = before !== undefined && before !== signature;
  const arrived = before === undefined && !firstRender;
  const who = sender(item, state);
  const posted = new Date(Number(m.ts.split('.')[0]) * 1000);
  const classes = ['msg', item.ephemeral ? 'ephemeral' : '', changed ? 'flash' : '', arrived ? 'arrive' : ''];
  const mark = ui.highlight;
  if (mark !== undefined && mark.channel === m.channel && mark.ts === m.ts) classes.push('highlight');
  const edits = m.history?.length ?? 0;
  const replies = m.replies ?? [];
  const threadKey = `${m.channel}/${m.ts}`;
  const threadOpen = ui.openThreads.has(threadKey);
  return h(
    'article',
    { class: classes.filter(Boolean).join(' '), 'data-ts': m.ts, 'data-key': key },
    h('div', { class: `avatar${who.bot ? ' bot' : ''}`, 'aria-hidden': 'true' }, who.initial),
    h(
      'div',
      { class: 'msg-body' },
      item.ephemeral ? h('div', { class: 'only-you' }, icon('eye'), 'Only visible to you') : null,
      h(
        'div',
        { class: 'msg-meta' },
        h('span', { class: 'sender' }, who.name),
        who.bot ? h('span', { class: 'app-badge' }, 'APP') : null,
        h('time', { datetime: posted.toISOString(), title: formatDateTime(posted) }, formatTime(posted)),
      ),
      renderBlocks(m.blocks ?? [], m.text ?? '', { messageTs: m.ts, channel: m.channel }, ctx),
      m.edited
        ? h(
            'span',
            { class: 'edited', title: `Edited ${edits === 1 ? 'once' : `${edits} times`}` },
            '(edited)',
          )
        : null,
      replies.length > 0
        ? h(
            'button',
            {
              type: 'button',
              class: 'thread-toggle',
              'data-thread': threadKey,
              'aria-expanded': String(threadOpen),
            },
            `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`,
          )
        : null,
      threadOpen
        ? h(
            'div',
            { class: 'thread' },
            replies.map((/** @type {any} */ reply) =>
              messageElement({ ephemeral: false, m: reply }, state, ui, ctx, firstRender),
            ),
          )
        : null,
    ),
  );
}

/**
 * Redraws the open channel, keeping the reader's place: pinned to the bottom if they were there.
 * @param {HTMLElement} list
 * @param {PageState} state
 * @param {SlackUi} ui
 * @param {import('./mrkdwn.js').RenderContext} ctx
 * @param {boolean} firstRender
 */
export function renderMessages(list, state, ui, ctx, firstRender) {
  const quiet = firstRender || !ui.drawn.has(ui.channel);
  ui.drawn.add(ui.channel);
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
  const previousTop = list.scrollTop;
  const items = channelItems(state, ui.channel);
  /** @type {Node[]} */
  const nodes = [];
  let lastDay = '';
  for (const item of items) {
    const posted = new Date(Number(item.m.ts.split('.')[0]) * 1000);
    const day = posted.toDateString();
    if (day !== lastDay) {
      nodes.push(
        h('div', { class: 'day', role: 'separator' }, h('span', {}, dayDivider(posted, ctx.nowMs()))),
      );
      lastDay = day;
    }
    nodes.push(messageElement(item, state, ui, ctx, quiet));
  }
  if (items.length === 0) nodes.push(emptyChannel(state, ui.channel));
  replace(list, nodes);
  const target = ui.highlight?.channel === ui.channel ? list.querySelector('.msg.highlight') : null;
  if (target !== null) {
    target.scrollIntoView({ block: 'center' });
    ui.highlight = undefined;
  } else list.scrollTop = atBottom || quiet ? list.scrollHeight : previousTop;
}

/**
 * The app's Home tab: the view the bot published with views.publish, drawn like a message's blocks. Its URL
 * buttons open their link (the approval opens in the OpenTrain pane).
 * @param {HTMLElement} panel
 * @param {PageState} state
 * @param {import('./mrkdwn.js').RenderContext} ctx
 */
export function renderHome(panel, state, ctx) {
  const home = state.slack.home;
  if (home === null) {
    replace(
      panel,
      h(
        'div',
        { class: 'empty' },
        'Countersign has not published a Home tab for you yet. Opening this tab tells it to (app_home_opened); it appears here in a moment.',
      ),
    );
    return;
  }
  replace(panel, h('div', { class: 'home-body' }, renderBlocks(home.blocks, '', { view: 'home' }, ctx)));
}

/** @param {PageState} state @param {string} channel */
function emptyChannel(state, channel) {
  const kind = state.slack.sidebar.find((/** @type {any} */ c) => c.id === channel)?.kind;
  const hint =
    kind === 'im'
      ? 'Countersign DMs you here: a reminder before an approval expires, and the outcome when it ends.'
      : channel === state.fundChannel
        ? 'Approval cards land here (FUND_CHANNEL). Request one from #project-x.'
        : 'Nothing here yet. Type /fund-milestone M-1001 below and press Enter.';
  return h('div', { class: 'empty' }, hint);
}

/** @param {PageState} state @param {string} channel */
export function channelTopic(state, channel) {
  if (channel === state.fundChannel)
    return 'Where Countersign posts approval cards and edits them as they resolve.';
  if (channel === state.typingChannel) return 'Your project channel. Request funding from here.';
  const kind = state.slack.sidebar.find((/** @type {any} */ c) => c.id === channel)?.kind;
  if (kind === 'im')
    return 'The Countersign app: your reminders and outcomes (Messages), what is waiting on you (Home).';
  return kind === 'private' ? 'A private channel.' : '';
}
