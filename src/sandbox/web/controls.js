// @ts-check
// The page's requests to the sandbox server, and the controls that only send: the clock and the composer.

import { markDown, SandboxDownError, whenBack } from './connection.js';
import { byId } from './dom.js';

/**
 * POSTs JSON to the sandbox server. A refusal throws its sentence; no answer at all throws SandboxDownError
 * (and the page says the sandbox stopped, until it is back).
 * @param {string} path
 * @param {unknown} body
 */
export async function post(path, body) {
  /** @type {Response} */
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    markDown();
    throw new SandboxDownError();
  }
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(
      typeof json.error === 'string'
        ? json.error
        : `The sandbox could not do that (HTTP ${response.status}).`,
    );
  }
  return json;
}

/**
 * A short message over the page. One about a stopped sandbox goes away as soon as the sandbox is back.
 * @param {unknown} error an Error, or a sentence
 */
export function toast(error) {
  const box = byId('toast');
  box.textContent = error instanceof Error ? error.message : String(error);
  box.hidden = false;
  clearTimeout(Number(box.dataset.timer));
  box.dataset.timer = String(setTimeout(() => (box.hidden = true), 6_000));
  if (error instanceof SandboxDownError) whenBack(() => (box.hidden = true));
}

/** @param {string} by e.g. "23h" */
export async function advance(by) {
  const buttons = document.querySelectorAll('[data-advance], #clock-custom button');
  for (const button of buttons) button.setAttribute('disabled', '');
  try {
    await post('/sandbox/clock', { by });
  } catch (error) {
    toast(error);
  } finally {
    for (const button of buttons) button.removeAttribute('disabled');
  }
}

/** The custom fast-forward box: "90m", "2d", or a bare number of hours. */
export function setUpClockControls() {
  byId('clock-custom').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ (byId('clock-custom-input'));
    const raw = input.value.trim().toLowerCase();
    if (raw === '') return;
    void advance(/^\d+$/.test(raw) ? `${raw}h` : raw.replace(/\s+/g, ''));
  });
}

/**
 * The composer sends what was typed, exactly, to the server, which signs it and POSTs it to the bot.
 * @param {() => string} channel the open channel
 */
export function setUpComposer(channel) {
  const composer = /** @type {HTMLInputElement} */ (byId('composer-input'));
  const hint = byId('composer-hint');
  composer.addEventListener('input', () => {
    const typing = composer.value.trimStart();
    hint.dataset.tone = 'suggest';
    hint.textContent =
      typing.startsWith('/') && '/fund-milestone'.startsWith(typing.split(/\s/)[0] ?? '')
        ? '/fund-milestone  <milestone id or link> [note]  ·  Request OpenTrain funding for a milestone'
        : '';
  });

  byId('composer').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = composer.value.trim();
    if (text === '') return;
    hint.dataset.tone = 'info';
    hint.textContent = 'Sending to the bot as a signed slash command…';
    try {
      const result = await post('/sandbox/command', { channelId: channel(), text });
      composer.value = '';
      hint.textContent =
        result.failure === null ? '' : `Slack gave up waiting for the app (${result.failure}).`;
    } catch (error) {
      hint.dataset.tone = 'error';
      hint.textContent = error instanceof Error ? error.message : String(error);
      if (error instanceof SandboxDownError) {
        whenBack(() => {
          if (hint.textContent === error.message) hint.textContent = '';
        });
      }
    }
  });
}
