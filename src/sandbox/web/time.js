// @ts-check
// Dates as each reader sees them: in the browser's own timezone and locale (Intl with no explicit zone),
// relative to the sandbox's simulated now, which is what Slack's date tokens do for each reader.

const dayMs = 86_400_000;
const relativeDays = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** @param {Date} date */
export function formatTime(date) {
  return new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' }).format(date);
}

/** @param {Date} date */
export function formatDateTime(date) {
  return new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: 'numeric',
    minute: '2-digit',
  }).format(date);
}

/**
 * Whole local calendar days from `now` to `date`: 0 today, 1 tomorrow, -1 yesterday.
 * @param {Date} date
 * @param {number} nowMs
 */
function calendarDaysFrom(date, nowMs) {
  const now = new Date(nowMs);
  const a = Date.UTC(date.getFullYear(), date.getMonth(), date.getDate());
  const b = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((a - b) / dayMs);
}

/**
 * @param {Date} date
 * @param {number} nowMs
 * @param {'short' | 'long' | 'full'} style
 */
function prettyDay(date, nowMs, style) {
  const days = calendarDaysFrom(date, nowMs);
  if (Math.abs(days) <= 1) return relativeDays.format(days, 'day');
  return plainDay(date, style);
}

/**
 * @param {Date} date
 * @param {'short' | 'long' | 'full'} style
 */
function plainDay(date, style) {
  /** @type {Intl.DateTimeFormatOptions} */
  const options =
    style === 'short'
      ? { month: 'short', day: 'numeric', year: 'numeric' }
      : style === 'long'
        ? { month: 'long', day: 'numeric', year: 'numeric' }
        : { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' };
  return new Intl.DateTimeFormat(undefined, options).format(date);
}

/**
 * Renders the format part of `<!date^UNIX^format|fallback>`: `{date_short_pretty} at {time}` and friends.
 * Unknown placeholders are left as they are, as Slack does.
 * @param {number} unixSeconds
 * @param {string} format
 * @param {number} nowMs simulated now
 */
export function formatDateToken(unixSeconds, format, nowMs) {
  const date = new Date(unixSeconds * 1000);
  /** @type {Record<string, () => string>} */
  const parts = {
    date_num: () =>
      `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`,
    date: () => plainDay(date, 'long'),
    date_short: () => plainDay(date, 'short'),
    date_long: () => plainDay(date, 'full'),
    date_pretty: () => prettyDay(date, nowMs, 'long'),
    date_short_pretty: () => prettyDay(date, nowMs, 'short'),
    date_long_pretty: () => prettyDay(date, nowMs, 'full'),
    time: () => formatTime(date),
    time_secs: () =>
      new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' }).format(
        date,
      ),
    ago: () => relativeTo(date.getTime(), nowMs),
  };
  return format.replace(/\{(\w+)\}/g, (whole, name) => parts[name]?.() ?? whole);
}

/**
 * "Today", "Yesterday" or "Tuesday, November 24": the divider between days in a channel.
 * @param {Date} date
 * @param {number} nowMs
 */
export function dayDivider(date, nowMs) {
  const days = calendarDaysFrom(date, nowMs);
  if (days === 0 || days === -1) {
    const word = relativeDays.format(days, 'day');
    return word.charAt(0).toUpperCase() + word.slice(1);
  }
  return new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' }).format(date);
}

/**
 * "in 71 hours", "3 minutes ago".
 * @param {number} thenMs
 * @param {number} nowMs
 */
export function relativeTo(thenMs, nowMs) {
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const diff = thenMs - nowMs;
  const abs = Math.abs(diff);
  if (abs < 60_000) return format.format(Math.round(diff / 1_000), 'second');
  if (abs < 3_600_000) return format.format(Math.round(diff / 60_000), 'minute');
  if (abs < 2 * dayMs) return format.format(Math.round(diff / 3_600_000), 'hour');
  return format.format(Math.round(diff / dayMs), 'day');
}

/**
 * "23 h 5 min" for the clock's "ahead of real time" note.
 * @param {number} ms
 */
export function shortDuration(ms) {
  const minutes = Math.round(ms / 60_000);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}
