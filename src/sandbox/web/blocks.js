// @ts-check
// Block Kit as Slack draws it, for the blocks Countersign sends: header, section (text, fields, accessory),
// context, actions, divider. Anything else shows as a labelled placeholder rather than silently vanishing.

import { h } from './dom.js';
import { renderMrkdwn, withEmoji } from './mrkdwn.js';

/** @typedef {import('./mrkdwn.js').RenderContext} RenderContext */

/**
 * @param {unknown} value
 * @returns {Record<string, any>}
 */
function record(value) {
  return typeof value === 'object' && value !== null ? /** @type {Record<string, any>} */ (value) : {};
}

/**
 * A text object: mrkdwn, or plain_text with optional emoji.
 * @param {unknown} value
 * @param {RenderContext} ctx
 * @returns {Node}
 */
export function textObject(value, ctx) {
  const text = record(value);
  const content = typeof text.text === 'string' ? text.text : '';
  if (text.type === 'mrkdwn') return renderMrkdwn(content, ctx);
  if (text.emoji === false) return document.createTextNode(content);
  const fragment = document.createDocumentFragment();
  fragment.append(...withEmoji(content));
  return fragment;
}

/**
 * Where blocks are drawn: a message (its buttons send Slack's block_actions through the page), or the app's
 * Home tab (its URL buttons only open their link: the Slack fake sends block_actions for messages only).
 * @typedef {{ messageTs: string; channel: string } | { view: 'home' }} Where
 */

/**
 * @param {unknown} value a button element
 * @param {Where & { blockId: string }} where
 * @param {RenderContext} ctx
 */
function button(value, where, ctx) {
  const element = record(value);
  const label = textObject(element.text, ctx);
  const style = element.style === 'primary' || element.style === 'danger' ? ` ${element.style}` : '';
  if (typeof element.url !== 'string') {
    return h(
      'button',
      {
        class: `btn${style}`,
        type: 'button',
        disabled: true,
        title: 'Only URL buttons do something in the sandbox',
      },
      label,
    );
  }
  if ('view' in where) {
    return h(
      'a',
      {
        class: `btn${style}`,
        href: element.url,
        target: '_blank',
        rel: 'noopener noreferrer',
        'data-view-link': '',
      },
      label,
    );
  }
  // A URL button: the link opens, and the page also sends Slack's block_actions for it (see app.js).
  return h(
    'a',
    {
      class: `btn${style}`,
      href: element.url,
      target: '_blank',
      rel: 'noopener noreferrer',
      'data-action-id': typeof element.action_id === 'string' ? element.action_id : '',
      'data-block-id': where.blockId,
      'data-message-ts': where.messageTs,
      'data-channel': where.channel,
    },
    label,
  );
}

/**
 * @param {unknown[]} blocks
 * @param {string} fallbackText shown when there are no blocks, as Slack does
 * @param {Where} where
 * @param {RenderContext} ctx
 * @returns {HTMLElement}
 */
export function renderBlocks(blocks, fallbackText, where, ctx) {
  const container = h('div', { class: 'blocks' });
  if (blocks.length === 0) {
    container.appendChild(h('div', { class: 'b-text' }, renderMrkdwn(fallbackText, ctx)));
    return container;
  }
  for (const raw of blocks) {
    const block = record(raw);
    const blockId = typeof block.block_id === 'string' ? block.block_id : '';
    switch (block.type) {
      case 'header':
        container.appendChild(h('div', { class: 'b-header' }, textObject(block.text, ctx)));
        break;
      case 'section': {
        const section = h('div', { class: 'b-section' });
        const main = h('div', { class: 'b-section-main' });
        if (block.text !== undefined)
          main.appendChild(h('div', { class: 'b-text' }, textObject(block.text, ctx)));
        if (Array.isArray(block.fields)) {
          main.appendChild(
            h(
              'div',
              { class: 'b-fields' },
              block.fields.map((field) => h('div', { class: 'b-field' }, textObject(field, ctx))),
            ),
          );
        }
        section.appendChild(main);
        const accessory = record(block.accessory);
        if (accessory.type === 'button') section.appendChild(button(accessory, { ...where, blockId }, ctx));
        container.appendChild(section);
        break;
      }
      case 'context': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        container.appendChild(
          h(
            'div',
            { class: 'b-context' },
            elements.map((element) => {
              const item = record(element);
              // Images would load from other sites; the sandbox loads nothing from outside.
              if (item.type === 'image')
                return h('span', { class: 'b-image-alt' }, String(item.alt_text ?? 'image'));
              return h('span', {}, textObject(item, ctx));
            }),
          ),
        );
        break;
      }
      case 'actions': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        container.appendChild(
          h(
            'div',
            { class: 'b-actions' },
            elements.map((element) =>
              record(element).type === 'button'
                ? button(element, { ...where, blockId }, ctx)
                : h('span', { class: 'b-unsupported' }, `[${String(record(element).type)}]`),
            ),
          ),
        );
        break;
      }
      case 'divider':
        container.appendChild(h('hr', { class: 'b-divider' }));
        break;
      default:
        container.appendChild(h('div', { class: 'b-unsupported' }, `[${String(block.type)} block]`));
    }
  }
  return container;
}
