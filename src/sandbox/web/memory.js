// @ts-check
// What the page remembers across reloads, in localStorage: which run of the sandbox it last showed, and the
// newest message seen in each channel, so unread badges survive a reload (and start over after a restart).

const key = 'countersign-sandbox:v1';

/**
 * @typedef {object} Memory
 * @property {string} runId the sandbox run these belong to
 * @property {Record<string, string>} lastSeen channel id → newest message ts seen there
 */

/** @returns {Memory | undefined} */
export function loadMemory() {
  try {
    const raw = JSON.parse(window.localStorage.getItem(key) ?? 'null');
    if (typeof raw?.runId !== 'string' || typeof raw.lastSeen !== 'object' || raw.lastSeen === null)
      return undefined;
    /** @type {Record<string, string>} */
    const lastSeen = {};
    for (const [channel, ts] of Object.entries(raw.lastSeen))
      if (typeof ts === 'string') lastSeen[channel] = ts;
    return { runId: raw.runId, lastSeen };
  } catch {
    // Storage switched off, or something else wrote the key: start with no memory.
    return undefined;
  }
}

/**
 * @param {string} runId
 * @param {Map<string, string>} lastSeen
 */
export function saveMemory(runId, lastSeen) {
  try {
    window.localStorage.setItem(key, JSON.stringify({ runId, lastSeen: Object.fromEntries(lastSeen) }));
  } catch {
    // A private window may refuse storage; badges then last until the next reload, as before.
  }
}
