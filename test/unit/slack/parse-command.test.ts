import { describe, expect, it } from 'vitest';
import { parseCommand as parseFundCommand } from '../../../src/slack/listeners/commands/parse-command.js';

describe('parseCommand: funding', () => {
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

describe('parseCommand: routes and history', () => {
  it('reads a route with a channel, approvers and autofund', () => {
    expect(
      parseFundCommand(
        'route set job:J-100 <#C0FIN|finance> <@U0ALICE|alice> <!subteam^S0FIN|@finance> autofund',
      ),
    ).toEqual({
      kind: 'route-set',
      target: { scope: 'job', id: 'J-100' },
      channelId: 'C0FIN',
      approvers: [
        { kind: 'user', id: 'U0ALICE' },
        { kind: 'usergroup', id: 'S0FIN' },
      ],
      autoFund: true,
    });
  });

  it('leaves the scope open for a bare id and drops repeated approvers', () => {
    expect(parseFundCommand('route set C-501 <#C0FIN> <@U1> <@U1>')).toMatchObject({
      target: { scope: undefined, id: 'C-501' },
      approvers: [{ kind: 'user', id: 'U1' }],
      autoFund: false,
    });
  });

  it.each([
    ['route set J-100 #finance', 'Name the channel as a mention'],
    ['route set', 'Start with the OpenTrain job or contract id'],
    ['route set J-100 <#C0FIN> bob', 'is not a person or user group mention'],
    ['route remove', 'Say which job or contract'],
  ])('explains %j', (text, problem) => {
    expect(parseFundCommand(text)).toMatchObject({
      kind: 'route-help',
      problem: expect.stringContaining(problem),
    });
  });

  it('turns a malformed link into guidance instead of an exception', () => {
    expect(parseFundCommand('https://app.opentrain.ai/milestones/%E0%A4%A')).toMatchObject({
      kind: 'invalid',
    });
  });

  it('reads list, remove, route help and history', () => {
    expect(parseFundCommand('route list')).toEqual({ kind: 'route-list' });
    expect(parseFundCommand('route remove contract:C-501')).toEqual({
      kind: 'route-remove',
      target: { scope: 'contract', id: 'C-501' },
    });
    expect(parseFundCommand('route')).toEqual({ kind: 'route-help' });
    expect(parseFundCommand('history M-1001')).toEqual({ kind: 'history', id: 'M-1001' });
    expect(parseFundCommand('history <https://app.opentrain.ai/approvals/A-77|approval>')).toEqual({
      kind: 'history',
      id: 'A-77',
    });
    expect(parseFundCommand('history')).toMatchObject({ kind: 'invalid' });
  });
});
