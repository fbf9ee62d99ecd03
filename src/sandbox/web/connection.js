// @ts-check
// The live link to the sandbox server, and what the page says about it: live, reconnecting, stopped, or
// restarted (a new run, so everything went back to the seed). Messages about the link clear themselves when
// it comes back; nothing about a stopped sandbox stays on screen after it answers again.

import { byId } from './dom.js';

/** The text of an error thrown when the sandbox server did not answer at all. */
export const sandboxDown =
  'The sandbox is not answering: it may have stopped. Start it again with npm run sandbox; this page reconnects by itself.';

/** An error from a request that never reached the sandbox (so not a refusal from it). */
export class SandboxDownError extends Error {
  constructor() {
    super(sandboxDown);
    this.name = 'SandboxDownError';
  }
}

/** @type {Set<() => void>} */
const onBack = new Set();
let downTimer = 0;
let isDown = false;

/** @param {'live' | 'connecting' | 'down'} status */
function badge(status) {
  const element = byId('connection');
  element.dataset.status = status;
  element.textContent =
    status === 'live' ? 'live' : status === 'connecting' ? 'reconnecting…' : 'sandbox stopped';
}

/**
 * @param {string} text
 * @param {'down' | 'restarted'} kind
 */
function showBanner(text, kind) {
  const banner = byId('banner');
  banner.dataset.kind = kind;
  byId('banner-text').textContent = text;
  byId('banner-close').hidden = kind === 'down';
  banner.hidden = false;
}

/** @param {'down' | 'restarted'} kind */
function hideBanner(kind) {
  const banner = byId('banner');
  if (banner.dataset.kind === kind) banner.hidden = true;
}

/** The sandbox stopped answering (a request failed, or the stream stayed closed). */
export function markDown() {
  if (isDown) return;
  isDown = true;
  badge('down');
  showBanner(sandboxDown, 'down');
}

/** @param {() => void} clear runs when the sandbox answers again, to remove what said it was down */
export function whenBack(clear) {
  onBack.add(clear);
}

function markLive() {
  clearTimeout(downTimer);
  badge('live');
  if (!isDown) return;
  isDown = false;
  hideBanner('down');
  for (const clear of onBack) clear();
  onBack.clear();
}

/** After a restart of the sandbox: say that the page went back to the seed, until dismissed. */
export function announceRestart() {
  showBanner(
    'The sandbox restarted, so everything started over from its seed: messages, approvals, account switches and the clock.',
    'restarted',
  );
}

/**
 * Keeps a Server-Sent Events stream open to the sandbox, reopening it whenever it closes.
 * @param {(data: string) => void} onState
 */
export function connect(onState) {
  byId('banner-close').addEventListener('click', () => hideBanner('restarted'));
  const open = () => {
    const stream = new EventSource('/sandbox/events');
    stream.addEventListener('state', (event) => {
      markLive();
      onState(/** @type {MessageEvent} */ (event).data);
    });
    stream.addEventListener('error', () => {
      // EventSource retries by itself while it can; once it gives up (CLOSED), open a new one.
      if (stream.readyState === EventSource.CLOSED) window.setTimeout(open, 1_000);
      if (isDown) return;
      badge('connecting');
      clearTimeout(downTimer);
      // A blip (the stream is back within a second or two) is not worth a banner; a stopped sandbox is.
      downTimer = window.setTimeout(markDown, 2_500);
    });
  };
  open();
}
