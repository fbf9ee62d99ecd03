// @ts-check
// Slack's mrkdwn, rendered the way the Slack client shows it: *bold*, _italic_, ~strike~, `code`, ```blocks```,
// >quotes, :emoji:, and the <…> forms (links, user and channel mentions, date tokens). Built as DOM nodes.

import { h } from './dom.js';
import { drawnEmoji, icon } from './icons.js';
import { formatDateToken } from './time.js';

/**
 * @typedef {object} RenderContext
 * @property {(id: string) => string} userName display name for <@U…>
 * @property {(id: string) => string | undefined} channelName for <#C…>
 * @property {() => number} nowMs simulated now, for "today"/"tomorrow" in date tokens
 */

/**
 * The shortcodes Countersign uses, and a few common ones. Those in icons.js are drawn as pictures (no emoji
 * font needed); the rest fall back to the character. Unknown ones stay as typed, like Slack's.
 */
export const emoji = /** @type {Record<string, string>} */ ({
  alarm_clock: '⏰',
  credit_card: '💳',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  information_source: 'ℹ️',
  lock: '🔒',
  mag: '🔍',
  no_entry: '⛔',
  warning: '⚠️',
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  tada: '🎉',
  wave: '👋',
  eyes: '👀',
  bell: '🔔',
  memo: '📝',
  moneybag: '💰',
  money_with_wings: '💸',
  rocket: '🚀',
  thumbsup: '👍',
  '+1': '👍',
  calendar: '📆',
  link: '🔗',
  robot_face: '🤖',
});

/** @param {string} text */
export function decodeEntities(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * One emoji, as Slack shows it: a picture, or the character when there is no picture for it.
 * @param {string} name the shortcode without colons
 * @returns {Node | undefined} undefined for a shortcode this page does not know
 */
export function emojiNode(name) {
  if (drawnEmoji.has(name)) return icon(name, `:${name}:`);
  const glyph = emoji[name];
  return glyph === undefined ? undefined : h('span', { class: 'emoji', title: `:${name}:` }, glyph);
}

/**
 * plain_text with `emoji: true`: text with its :shortcodes: drawn.
 * @param {string} text
 * @returns {Node[]}
 */
export function withEmoji(text) {
  /** @type {Node[]} */
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(/:([a-z0-9_+'-]+):/g)) {
    const node = emojiNode(match[1] ?? '');
    if (node === undefined) continue;
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    nodes.push(node);
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

/**
 * @param {string} text
 * @param {RenderContext} ctx
 * @returns {DocumentFragment}
 */
export function renderMrkdwn(text, ctx) {
  const fragment = document.createDocumentFragment();
  const pieces = text.split(/```([\s\S]*?)```/);
  pieces.forEach((piece, index) => {
    if (index % 2 === 1) fragment.appendChild(h('pre', {}, decodeEntities(piece.replace(/^\n|\n$/g, ''))));
    else renderLines(fragment, piece, ctx);
  });
  return fragment;
}

/**
 * @param {DocumentFragment} into
 * @param {string} text
 * @param {RenderContext} ctx
 */
function renderLines(into, text, ctx) {
  /** @type {HTMLElement | undefined} */
  let quote;
  let first = true;
  for (const line of text.split('\n')) {
    const quoted = /^(>|&gt;)/.exec(line);
    if (quoted !== null) {
      const content = line.slice(quoted[0].length).replace(/^ /, '');
      if (quote === undefined) {
        quote = h('blockquote');
        into.appendChild(quote);
      } else quote.appendChild(h('br'));
      quote.append(...inline(content, ctx));
      first = false;
      continue;
    }
    if (!first && quote === undefined) into.appendChild(h('br'));
    quote = undefined;
    into.append(...inline(line, ctx));
    first = false;
  }
}

const styles = /** @type {Record<string, string>} */ ({ '*': 'strong', _: 'em', '~': 's' });

/**
 * @param {string} text
 * @param {RenderContext} ctx
 * @returns {Node[]}
 */
function inline(text, ctx) {
  /** @type {Node[]} */
  const out = [];
  let plain = '';
  const flush = () => {
    if (plain !== '') out.push(document.createTextNode(decodeEntities(plain)));
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    const end = c === '`' || c === '<' ? text.indexOf(c === '`' ? '`' : '>', i + 1) : -1;
    if (c === '`' && end > i + 1) {
      flush();
      out.push(h('code', {}, decodeEntities(text.slice(i + 1, end))));
      i = end + 1;
      continue;
    }
    if (c === '<' && end > i + 1) {
      flush();
      out.push(angle(text.slice(i + 1, end), ctx));
      i = end + 1;
      continue;
    }
    const shortcode = c === ':' ? /^:([a-z0-9_+'-]+):/.exec(text.slice(i)) : null;
    const picture = shortcode === null ? undefined : emojiNode(shortcode[1] ?? '');
    if (shortcode !== null && picture !== undefined) {
      flush();
      out.push(picture);
      i += shortcode[0].length;
      continue;
    }
    const tag = styles[c];
    const close = tag === undefined ? -1 : closingMarker(text, i);
    if (tag !== undefined && close !== -1) {
      flush();
      out.push(h(tag, {}, inline(text.slice(i + 1, close), ctx)));
      i = close + 1;
      continue;
    }
    plain += c;
    i += 1;
  }
  flush();
  return out;
}

/**
 * Where the *, _ or ~ opening at `start` closes, or -1. Like Slack: the opener follows a boundary and
 * precedes a non-space; the closer follows a non-space and precedes a boundary. So snake_case stays as is.
 * @param {string} text
 * @param {number} start
 */
function closingMarker(text, start) {
  const marker = text.charAt(start);
  const before = start === 0 ? ' ' : text.charAt(start - 1);
  if (!/[\s([{"'>*_~]/.test(before)) return -1;
  if (/\s/.test(text.charAt(start + 1)) || start + 1 >= text.length) return -1;
  for (let j = text.indexOf(marker, start + 2); j !== -1; j = text.indexOf(marker, j + 1)) {
    const after = j + 1 >= text.length ? ' ' : text.charAt(j + 1);
    if (!/\s/.test(text.charAt(j - 1)) && /[\s.,;:!?)\]}"'<*_~]/.test(after)) return j;
  }
  return -1;
}

/**
 * The <…> forms: <@U1>, <#C1|name>, <!date^…|fallback>, <!here>, <!subteam^S1|@team>, <url|label>, <url>.
 * @param {string} body what was between < and >
 * @param {RenderContext} ctx
 * @returns {Node}
 */
function angle(body, ctx) {
  const bar = body.indexOf('|');
  const target = bar === -1 ? body : body.slice(0, bar);
  const label = bar === -1 ? undefined : decodeEntities(body.slice(bar + 1));
  if (target.startsWith('@')) {
    return h('span', { class: 'mention', 'data-user': target.slice(1) }, `@${ctx.userName(target.slice(1))}`);
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    const name = ctx.channelName(id) ?? label ?? id;
    return h('a', { class: 'mention channel-link', href: '#', 'data-channel': id }, `#${name}`);
  }
  if (target.startsWith('!date^')) {
    const [, unix = '', format = '', link] = target.split('^');
    const seconds = Number(unix);
    const fallback = label ?? '';
    if (!Number.isFinite(seconds) || unix === '') return document.createTextNode(fallback);
    const shown = formatDateToken(seconds, format, ctx.nowMs());
    const time = h('time', { datetime: new Date(seconds * 1000).toISOString(), title: fallback }, shown);
    return link === undefined
      ? time
      : h('a', { class: 'link', href: link, target: '_blank', rel: 'noopener noreferrer' }, time);
  }
  if (target.startsWith('!subteam^')) return h('span', { class: 'mention' }, label ?? '@group');
  if (target.startsWith('!')) return h('span', { class: 'mention' }, `@${target.slice(1)}`);
  const url = decodeEntities(target);
  return h('a', { class: 'link', href: url, target: '_blank', rel: 'noopener noreferrer' }, label ?? url);
}
