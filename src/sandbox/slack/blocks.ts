import { z } from 'zod';

/** Where blocks are shown decides how many are allowed: 50 in a message, 100 in a Home tab or modal. */
export type BlockSurface = 'message' | 'home';

export type BlocksVerdict =
  | { ok: true; blocks: unknown[] }
  | {
      ok: false;
      error: 'invalid_blocks' | 'invalid_blocks_format' | 'msg_blocks_too_long';
      /** Slack's own wording: "<problem> [json-pointer:/blocks/0/text/text]". */
      errors: string[];
    };

const maxBlocks: Record<BlockSurface, number> = { message: 50, home: 100 };

/**
 * Slack rejects messages whose blocks hold more than roughly 13,200 characters of text in total even when each
 * block is within its own limit (bolt-js #2509, undocumented). The fake enforces it so the bot finds out here.
 */
const maxMessageBlockText = 13_200;

const id255 = z.string().min(1).max(255);

function plainText(max: number) {
  return z.looseObject({
    type: z.literal('plain_text'),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
  });
}

function textObject(max: number) {
  return z.looseObject({ type: z.enum(['plain_text', 'mrkdwn']), text: z.string().min(1).max(max) });
}

const Confirm = z.looseObject({
  title: plainText(100),
  text: textObject(300),
  confirm: plainText(30),
  deny: plainText(30),
  style: z.enum(['primary', 'danger']).optional(),
});

const Button = z.looseObject({
  type: z.literal('button'),
  text: plainText(75),
  action_id: id255.optional(),
  url: z.string().min(1).max(3000).optional(),
  value: z.string().min(1).max(2000).optional(),
  style: z.enum(['primary', 'danger']).optional(),
  confirm: Confirm.optional(),
  accessibility_label: z.string().min(1).max(75).optional(),
});

const ImageElement = z.looseObject({
  type: z.literal('image'),
  image_url: z.string().min(1).max(3000).optional(),
  alt_text: z.string().min(1).max(2000),
});

/** Interactive elements the bot doesn't use: checked only for their type and action_id. */
const otherElementTypes = [
  'overflow',
  'static_select',
  'external_select',
  'users_select',
  'conversations_select',
  'channels_select',
  'multi_static_select',
  'multi_external_select',
  'multi_users_select',
  'multi_conversations_select',
  'multi_channels_select',
  'datepicker',
  'timepicker',
  'datetimepicker',
  'checkboxes',
  'radio_buttons',
  'plain_text_input',
  'email_text_input',
  'url_text_input',
  'number_text_input',
  'rich_text_input',
  'file_input',
  'workflow_button',
] as const;

const Element = z.discriminatedUnion('type', [
  Button,
  ImageElement,
  ...otherElementTypes.map((type) => z.looseObject({ type: z.literal(type), action_id: id255.optional() })),
]);

const Actions = z
  .looseObject({
    type: z.literal('actions'),
    block_id: id255.optional(),
    elements: z.array(Element).min(1).max(25),
  })
  .superRefine((block, ctx) => {
    const seen = new Set<string>();
    block.elements.forEach((element, at) => {
      const actionId = 'action_id' in element ? element.action_id : undefined;
      if (typeof actionId !== 'string') return;
      if (seen.has(actionId))
        ctx.addIssue({ code: 'custom', message: 'duplicate action_id', path: ['elements', at] });
      seen.add(actionId);
    });
  });

const Section = z
  .looseObject({
    type: z.literal('section'),
    block_id: id255.optional(),
    text: textObject(3000).optional(),
    fields: z.array(textObject(2000)).min(1).max(10).optional(),
    accessory: Element.optional(),
  })
  .refine(
    (block) => block.text !== undefined || block.fields !== undefined,
    'must provide either text or fields',
  );

const Block = z.discriminatedUnion('type', [
  Section,
  Actions,
  z.looseObject({ type: z.literal('header'), block_id: id255.optional(), text: plainText(150) }),
  z.looseObject({
    type: z.literal('context'),
    block_id: id255.optional(),
    elements: z
      .array(z.union([ImageElement, textObject(Number.MAX_SAFE_INTEGER)]))
      .min(1)
      .max(10),
  }),
  z.looseObject({ type: z.literal('divider'), block_id: id255.optional() }),
  z.looseObject({
    type: z.literal('image'),
    block_id: id255.optional(),
    image_url: z.string().min(1).max(3000).optional(),
    alt_text: z.string().min(1).max(2000),
    title: plainText(2000).optional(),
  }),
  z.looseObject({
    type: z.literal('markdown'),
    block_id: id255.optional(),
    text: z.string().min(1).max(12_000),
  }),
  z.looseObject({ type: z.literal('rich_text'), block_id: id255.optional(), elements: z.array(z.unknown()) }),
  z.looseObject({
    type: z.literal('input'),
    block_id: id255.optional(),
    label: plainText(2000),
    element: z.unknown(),
  }),
  z.looseObject({ type: z.literal('file'), block_id: id255.optional() }),
  z.looseObject({ type: z.literal('video'), block_id: id255.optional() }),
]);

function blockList(surface: BlockSurface) {
  return z
    .array(Block)
    .max(maxBlocks[surface])
    .superRefine((blocks, ctx) => {
      const seen = new Set<string>();
      blocks.forEach((block, at) => {
        if (block.block_id === undefined) return;
        if (seen.has(block.block_id))
          ctx.addIssue({ code: 'custom', message: 'duplicate block_id', path: [at] });
        seen.add(block.block_id);
      });
    });
}

const lists: Record<BlockSurface, ReturnType<typeof blockList>> = {
  message: blockList('message'),
  home: blockList('home'),
};

/**
 * Checks blocks the way Slack does before it accepts a message or a view. `raw` is the decoded argument;
 * `pointer` is where the blocks sit in the request, for the json-pointer in each error.
 */
export function validateBlocks(raw: unknown, surface: BlockSurface, pointer = '/blocks'): BlocksVerdict {
  if (!Array.isArray(raw)) return { ok: false, error: 'invalid_blocks_format', errors: ['must be an array'] };
  const parsed = lists[surface].safeParse(raw);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => describeIssue(issue, pointer));
    return { ok: false, error: 'invalid_blocks', errors };
  }
  if (surface === 'message' && totalText(raw) > maxMessageBlockText) {
    return { ok: false, error: 'msg_blocks_too_long', errors: ['total text of blocks is too long'] };
  }
  return { ok: true, blocks: raw };
}

function describeIssue(issue: z.core.$ZodIssue, pointer: string): string {
  return `${problem(issue)} [json-pointer:${pointer}${issue.path.map((part) => `/${String(part)}`).join('')}]`;
}

function problem(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'string'
        ? `must be less than ${Number(issue.maximum) + 1} characters`
        : `no more than ${String(issue.maximum)} items allowed`;
    case 'too_small':
      return issue.origin === 'string'
        ? `must be more than ${Number(issue.minimum) - 1} characters`
        : `must provide at least ${String(issue.minimum)} items`;
    case 'invalid_union':
      return 'unsupported type';
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_type':
      return `expected ${issue.expected}`;
    default:
      return issue.message;
  }
}

function totalText(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + totalText(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  let sum = 0;
  for (const [field, inner] of Object.entries(value)) {
    sum += field === 'text' && typeof inner === 'string' ? inner.length : totalText(inner);
  }
  return sum;
}
