import type { KnownBlock } from '@slack/types';

/** Slack's documented limits (Block Kit reference), and the undocumented total that `msg_blocks_too_long` enforces. */
export const slackLimits = {
  blocks: 50,
  text: 3_000,
  sectionText: 3_000,
  field: 2_000,
  fields: 10,
  header: 150,
  contextElements: 10,
  buttonText: 75,
  totalBlockText: 12_000,
} as const;

interface Message {
  readonly text: string;
  readonly blocks?: readonly KnownBlock[];
}

/** Cuts without splitting a surrogate pair or an HTML entity such as &amp;. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let head = text.slice(0, max - 1);
  const entity = head.lastIndexOf('&');
  if (entity >= 0 && !head.slice(entity).includes(';')) head = head.slice(0, entity);
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return `${head}…`;
}

function fitBlock(block: KnownBlock): KnownBlock {
  switch (block.type) {
    case 'header':
      return { ...block, text: { ...block.text, text: cut(block.text.text, slackLimits.header) } };
    case 'section':
      return {
        ...block,
        ...(block.text === undefined
          ? {}
          : { text: { ...block.text, text: cut(block.text.text, slackLimits.sectionText) } }),
        ...(block.fields === undefined
          ? {}
          : {
              fields: block.fields
                .slice(0, slackLimits.fields)
                .map((field) => ({ ...field, text: cut(field.text, slackLimits.field) })),
            }),
      };
    case 'context':
      return { ...block, elements: block.elements.slice(0, slackLimits.contextElements) };
    default:
      return block;
  }
}

/** The characters Slack counts towards `msg_blocks_too_long`: every `text` string, however deep. */
function textLength(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let sum = 0;
  for (const [key, inner] of Object.entries(value)) {
    sum += key === 'text' && typeof inner === 'string' ? inner.length : textLength(inner);
  }
  return sum;
}

/**
 * The last line of defence before Slack: every message is cut to Slack's limits, so one long field from
 * OpenTrain or a person can never make Slack refuse a card or a reply. Renderers already cap what they
 * write; this catches what they did not foresee. A message whose blocks still would not fit goes as text.
 */
export function fitToLimits(message: Message): Message {
  const text = cut(message.text, slackLimits.text);
  if (message.blocks === undefined) return { text };
  const blocks = message.blocks.slice(0, slackLimits.blocks).map(fitBlock);
  if (textLength(blocks) > slackLimits.totalBlockText) return { text };
  return { text, blocks };
}
