// @ts-check
// The few pictures the page needs, drawn as inline SVG: emoji in the bot's messages and the page's own glyphs.
// A browser without an emoji font (Debian's Chromium installed without recommends, say) would show empty
// boxes for the emoji characters; these need no font at all. Shapes are simple on purpose: recognisable at
// 16 px, close to the colours people know from Slack.

const svgNs = 'http://www.w3.org/2000/svg';

/**
 * Each icon: SVG elements on a 20 × 20 canvas, as [tag, attributes] pairs.
 * @type {Record<string, Array<[string, Record<string, string>]>>}
 */
const shapes = {
  white_check_mark: [
    ['rect', { x: '1', y: '1', width: '18', height: '18', rx: '4', fill: '#2eb67d' }],
    [
      'path',
      {
        d: 'M5.5 10.5l3 3 6-7',
        fill: 'none',
        stroke: '#fff',
        'stroke-width': '2.4',
        'stroke-linecap': 'round',
        'stroke-linejoin': 'round',
      },
    ],
  ],
  heavy_check_mark: [
    [
      'path',
      {
        d: 'M4 10.5l4 4 8-9',
        fill: 'none',
        stroke: '#1d1c1d',
        'stroke-width': '3',
        'stroke-linecap': 'round',
        'stroke-linejoin': 'round',
      },
    ],
  ],
  x: [
    [
      'path',
      { d: 'M5 5l10 10M15 5L5 15', stroke: '#e01e5a', 'stroke-width': '3.2', 'stroke-linecap': 'round' },
    ],
  ],
  warning: [
    [
      'path',
      {
        d: 'M10 2L19 17.5H1z',
        fill: '#f2c744',
        stroke: '#d49b00',
        'stroke-width': '1',
        'stroke-linejoin': 'round',
      },
    ],
    ['path', { d: 'M10 7.5v5', stroke: '#1d1c1d', 'stroke-width': '2', 'stroke-linecap': 'round' }],
    ['circle', { cx: '10', cy: '15', r: '1.1', fill: '#1d1c1d' }],
  ],
  no_entry: [
    ['circle', { cx: '10', cy: '10', r: '9', fill: '#e01e5a' }],
    ['rect', { x: '4.5', y: '8.5', width: '11', height: '3', rx: '1', fill: '#fff' }],
  ],
  lock: [
    ['path', { d: 'M6.5 9V6.5a3.5 3.5 0 017 0V9', fill: 'none', stroke: '#8d8d8d', 'stroke-width': '2' }],
    ['rect', { x: '4', y: '9', width: '12', height: '9', rx: '2', fill: '#e8a317' }],
    ['circle', { cx: '10', cy: '13.5', r: '1.4', fill: '#7a5200' }],
  ],
  information_source: [
    ['rect', { x: '1', y: '1', width: '18', height: '18', rx: '4', fill: '#1d9bd1' }],
    ['circle', { cx: '10', cy: '5.8', r: '1.4', fill: '#fff' }],
    ['path', { d: 'M10 9v6', stroke: '#fff', 'stroke-width': '2.4', 'stroke-linecap': 'round' }],
  ],
  hourglass_flowing_sand: [
    ['path', { d: 'M5 2h10M5 18h10', stroke: '#8d6e63', 'stroke-width': '2', 'stroke-linecap': 'round' }],
    [
      'path',
      {
        d: 'M6 3h8c0 4-3 5.5-3 7s3 3 3 7H6c0-4 3-5.5 3-7S6 7 6 3z',
        fill: '#e3f2fd',
        stroke: '#90a4ae',
        'stroke-width': '1',
      },
    ],
    [
      'path',
      { d: 'M8 6h4c-.5 1.5-2 2.5-2 2.5S8.5 7.5 8 6zM7.5 16.5c.5-2 2.5-3 2.5-3s2 1 2.5 3z', fill: '#f4b400' },
    ],
  ],
  hourglass: [
    ['path', { d: 'M5 2h10M5 18h10', stroke: '#8d6e63', 'stroke-width': '2', 'stroke-linecap': 'round' }],
    [
      'path',
      {
        d: 'M6 3h8c0 4-3 5.5-3 7s3 3 3 7H6c0-4 3-5.5 3-7S6 7 6 3z',
        fill: '#e3f2fd',
        stroke: '#90a4ae',
        'stroke-width': '1',
      },
    ],
    ['path', { d: 'M7 16.5c.5-2.5 3-3.5 3-3.5s2.5 1 3 3.5z', fill: '#f4b400' }],
  ],
  alarm_clock: [
    ['circle', { cx: '5', cy: '4.5', r: '2.5', fill: '#e01e5a' }],
    ['circle', { cx: '15', cy: '4.5', r: '2.5', fill: '#e01e5a' }],
    ['circle', { cx: '10', cy: '11', r: '7', fill: '#fff', stroke: '#e01e5a', 'stroke-width': '2' }],
    [
      'path',
      {
        d: 'M10 7.5V11l2.5 1.5',
        fill: 'none',
        stroke: '#1d1c1d',
        'stroke-width': '1.6',
        'stroke-linecap': 'round',
      },
    ],
  ],
  mag: [
    ['circle', { cx: '8', cy: '8', r: '5.5', fill: '#d6ecf7', stroke: '#5f6b73', 'stroke-width': '2' }],
    ['path', { d: 'M12.2 12.2l5.3 5.3', stroke: '#5f6b73', 'stroke-width': '3', 'stroke-linecap': 'round' }],
  ],
  wastebasket: [
    ['rect', { x: '3', y: '4', width: '14', height: '2.2', rx: '1', fill: '#78909c' }],
    ['rect', { x: '8', y: '2', width: '4', height: '2', rx: '.8', fill: '#78909c' }],
    ['path', { d: 'M4.5 7h11l-1 11h-9z', fill: '#b0bec5' }],
    ['path', { d: 'M8 9.5v6M12 9.5v6', stroke: '#78909c', 'stroke-width': '1.2' }],
  ],
  sparkles: [
    ['path', { d: 'M8 1.5l1.6 4.9L14.5 8l-4.9 1.6L8 14.5 6.4 9.6 1.5 8l4.9-1.6z', fill: '#f4b400' }],
    ['path', { d: 'M15 11l.9 2.1 2.1.9-2.1.9L15 17l-.9-2.1L12 14l2.1-.9z', fill: '#f4b400' }],
  ],
  credit_card: [
    ['rect', { x: '1', y: '4', width: '18', height: '12', rx: '2', fill: '#1d9bd1' }],
    ['rect', { x: '1', y: '7', width: '18', height: '2.5', fill: '#0b4f6c' }],
    ['rect', { x: '3.5', y: '12', width: '6', height: '1.6', rx: '.8', fill: '#fff' }],
  ],
  bell: [
    ['path', { d: 'M10 2.5a5 5 0 015 5v4l2 3H3l2-3v-4a5 5 0 015-5z', fill: '#f4b400' }],
    ['circle', { cx: '10', cy: '16.5', r: '2', fill: '#d49b00' }],
  ],
  // The page's own glyphs.
  check: [
    [
      'path',
      {
        d: 'M4.5 10.5l3.5 3.5 7.5-8',
        fill: 'none',
        stroke: 'currentColor',
        'stroke-width': '2.6',
        'stroke-linecap': 'round',
        'stroke-linejoin': 'round',
      },
    ],
  ],
  eye: [
    [
      'path',
      {
        d: 'M1.5 10s3.2-5.5 8.5-5.5 8.5 5.5 8.5 5.5-3.2 5.5-8.5 5.5S1.5 10 1.5 10z',
        fill: 'none',
        stroke: 'currentColor',
        'stroke-width': '1.6',
      },
    ],
    ['circle', { cx: '10', cy: '10', r: '2.6', fill: 'currentColor' }],
  ],
  padlock: [
    [
      'path',
      { d: 'M6.5 9V6.5a3.5 3.5 0 017 0V9', fill: 'none', stroke: 'currentColor', 'stroke-width': '2' },
    ],
    ['rect', { x: '4', y: '9', width: '12', height: '9', rx: '2', fill: 'currentColor' }],
  ],
  send: [['path', { d: 'M2.5 3.5l15 6.5-15 6.5 2.5-6.5z', fill: 'currentColor' }]],
  external: [
    [
      'path',
      {
        d: 'M8 4H4.5v11.5H16V12M11 3.5h5.5V9M16.5 3.5L9 11',
        fill: 'none',
        stroke: 'currentColor',
        'stroke-width': '1.8',
        'stroke-linecap': 'round',
        'stroke-linejoin': 'round',
      },
    ],
  ],
};

/** The emoji shortcodes drawn as pictures rather than left to a font. */
export const drawnEmoji = new Set(
  Object.keys(shapes).filter((name) => !['check', 'eye', 'padlock', 'send', 'external'].includes(name)),
);

/**
 * An icon as an inline element. `label` makes it an image with that accessible name (and a tooltip), as an
 * emoji in text is; without one it is decoration, hidden from assistive technology.
 * @param {string} name a key of `shapes`
 * @param {string} [label]
 * @returns {HTMLElement}
 */
export function icon(name, label) {
  const wrapper = document.createElement('span');
  wrapper.className = `icon icon-${name}${drawnEmoji.has(name) ? ' emoji' : ''}`;
  if (label === undefined) wrapper.setAttribute('aria-hidden', 'true');
  else {
    wrapper.setAttribute('role', 'img');
    wrapper.setAttribute('aria-label', label);
    wrapper.title = label;
  }
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 20 20');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const [tag, attributes] of shapes[name] ?? []) {
    const part = document.createElementNS(svgNs, tag);
    for (const [key, value] of Object.entries(attributes)) part.setAttribute(key, value);
    svg.appendChild(part);
  }
  wrapper.appendChild(svg);
  return wrapper;
}

/**
 * Puts icons in place of the static glyphs the HTML carries (`data-icon="send"`), so the page has no emoji
 * characters at all.
 */
export function drawStaticIcons() {
  for (const element of document.querySelectorAll('[data-icon]')) {
    if (!(element instanceof HTMLElement) || element.dataset.icon === undefined) continue;
    element.replaceChildren(icon(element.dataset.icon));
  }
}
