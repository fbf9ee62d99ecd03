import { describe, expect, it } from 'vitest';
import { validateBlocks } from '../../../src/sandbox/slack/blocks.js';

const section = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'section',
  text: { type: 'mrkdwn', text },
  ...extra,
});
const button = (extra: Record<string, unknown> = {}) => ({
  type: 'button',
  action_id: 'open_approval',
  text: { type: 'plain_text', text: 'Review & approve' },
  ...extra,
});

describe('validateBlocks', () => {
  it('accepts the approval card from the platform notes', () => {
    const card = [
      { type: 'header', text: { type: 'plain_text', text: 'Escrow funding requested' } },
      section('*Milestone* `123` · *Amount* 5,000 USDC'),
      {
        type: 'actions',
        block_id: 'approval:apr_abc',
        elements: [button({ url: 'https://x.example', style: 'primary' })],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: ':hourglass: Expires soon' }] },
      { type: 'divider' },
    ];

    expect(validateBlocks(card, 'message')).toEqual({ ok: true, blocks: card });
  });

  it('allows 100 blocks in a Home view but 50 in a message', () => {
    const blocks = Array.from({ length: 100 }, () => ({ type: 'divider' }));

    expect(validateBlocks(blocks, 'home').ok).toBe(true);
    expect(validateBlocks(blocks, 'message')).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
      errors: ['no more than 50 items allowed [json-pointer:/blocks]'],
    });
  });

  it('names the field that broke a limit', () => {
    const cases: Array<[unknown[], string]> = [
      [[section('x'.repeat(3001))], '/blocks/0/text/text'],
      [
        [section('ok', { fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) })],
        '/blocks/0/fields',
      ],
      [[{ type: 'actions', elements: [button({ value: 'v'.repeat(2001) })] }], '/blocks/0/elements/0/value'],
      [
        [
          {
            type: 'actions',
            elements: Array.from({ length: 26 }, (_, at) => button({ action_id: `a${at}` })),
          },
        ],
        '/blocks/0/elements',
      ],
      [[section('ok', { block_id: 'b'.repeat(256) })], '/blocks/0/block_id'],
      [[section('ok', { accessory: button({ url: 'u'.repeat(3001) }) })], '/blocks/0/accessory/url'],
    ];

    for (const [blocks, pointer] of cases) {
      const verdict = validateBlocks(blocks, 'message');
      expect(verdict.ok ? [] : verdict.errors.join(' ')).toContain(`[json-pointer:${pointer}]`);
    }
  });

  it('refuses unknown block types, duplicate ids and a section with nothing in it', () => {
    expect(validateBlocks([{ type: 'carousel' }], 'message').ok).toBe(false);
    expect(
      validateBlocks([section('a', { block_id: 'x' }), section('b', { block_id: 'x' })], 'message').ok,
    ).toBe(false);
    expect(validateBlocks([{ type: 'actions', elements: [button(), button()] }], 'message').ok).toBe(false);
    expect(validateBlocks([{ type: 'section' }], 'message').ok).toBe(false);
  });

  it('tells a non-array apart from a bad array', () => {
    expect(validateBlocks('[{"type":', 'message')).toMatchObject({
      ok: false,
      error: 'invalid_blocks_format',
    });
  });

  it('refuses messages whose blocks carry too much text in total', () => {
    const blocks = Array.from({ length: 5 }, (_, at) => section('x'.repeat(2900), { block_id: `b${at}` }));

    expect(validateBlocks(blocks, 'message')).toMatchObject({ ok: false, error: 'msg_blocks_too_long' });
  });
});
