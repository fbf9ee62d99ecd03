import { describe, expect, it } from 'vitest';
import { parseFundCommand } from '../../../src/slack/commands/parse-fund-command.js';

describe('parseFundCommand', () => {
  it.each(['', '   ', 'help', 'HELP', '--help', '?'])('shows usage for %j', (text) => {
    expect(parseFundCommand(text)).toEqual({ kind: 'help' });
  });

  it('reads a bare milestone id', () => {
    expect(parseFundCommand('M-1001')).toEqual({ kind: 'fund', milestoneId: 'M-1001', note: null });
  });

  it('keeps the rest of the text as the note, spacing inside it intact', () => {
    expect(parseFundCommand('  M-1001   batch 2  is ready ')).toEqual({
      kind: 'fund',
      milestoneId: 'M-1001',
      note: 'batch 2  is ready',
    });
  });

  it.each([
    ['<https://app.opentrain.ai/contracts/C-1/milestones/M-1001>', 'M-1001'],
    ['<https://app.opentrain.ai/contracts/C-1/milestones/M-1001/fund|link>', 'M-1001'],
    ['https://app.opentrain.ai/contracts/C-1?milestoneId=M-2002', 'M-2002'],
    ['<https://app.opentrain.ai/c/C-1?milestone=cm_9x8y|M>', 'cm_9x8y'],
  ])('finds the id in the link %s', (text, milestoneId) => {
    expect(parseFundCommand(`${text} note`)).toEqual({ kind: 'fund', milestoneId, note: 'note' });
  });

  it('refuses a link without a milestone in it', () => {
    const parsed = parseFundCommand('<https://app.opentrain.ai/contracts/C-1>');

    expect(parsed).toMatchObject({
      kind: 'invalid',
      problem: expect.stringContaining('does not contain a milestone id'),
    });
  });

  it.each(['<@U123>', 'M/1001', '../etc', `M-${'1'.repeat(200)}`, '<!channel>'])(
    'refuses %j as an id',
    (text) => {
      expect(parseFundCommand(text)).toMatchObject({ kind: 'invalid' });
    },
  );

  it('refuses an overlong note rather than cutting it', () => {
    expect(parseFundCommand(`M-1 ${'x'.repeat(501)}`)).toMatchObject({
      kind: 'invalid',
      problem: expect.stringContaining('under 500'),
    });
  });
});
