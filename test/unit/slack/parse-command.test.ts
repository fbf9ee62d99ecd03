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

describe('parseCommand: input surprises', () => {
  it.each(['M 1001', 'M- 1001', 'M -1001', 'm 1001', '"M 1001"'])(
    'reads %j as a split id and suggests M-1001 instead of funding milestone M',
    (text) => {
      expect(parseFundCommand(`${text} batch 2 is ready`)).toEqual({
        kind: 'invalid',
        problem: 'Milestone ids have no spaces: did you mean `M-1001`?',
        suggestion: 'M-1001',
      });
    },
  );

  it.each([
    '"M-1001"',
    "'M-1001'",
    '\u201CM-1001\u201D',
    '\u2018M-1001\u2019',
    '\u201EM-1001\u201C',
    '`M-1001`',
    '"M-1001',
    'M-1001"',
  ])('strips the quotes in %s', (quoted) => {
    expect(parseFundCommand(quoted)).toEqual({ kind: 'fund', milestoneId: 'M-1001', note: null });
    expect(parseFundCommand(`${quoted} batch 2`)).toEqual({
      kind: 'fund',
      milestoneId: 'M-1001',
      note: 'batch 2',
    });
  });

  it('reads a whole command in one pair of quotes without them, and keeps quotes inside a note', () => {
    expect(parseFundCommand('"M-1001 batch 2"')).toEqual({
      kind: 'fund',
      milestoneId: 'M-1001',
      note: 'batch 2',
    });
    expect(parseFundCommand('M-1001 the "final" batch')).toEqual({
      kind: 'fund',
      milestoneId: 'M-1001',
      note: 'the "final" batch',
    });
  });

  it('never doubles the quotes when it echoes what was typed', () => {
    const parsed = parseFundCommand('"M/1001"');

    expect(parsed).toMatchObject({ kind: 'invalid' });
    expect(parsed.kind === 'invalid' ? parsed.problem : '').toBe(
      '`M/1001` does not look like a milestone id (letters, digits, - and _ only, like M-1001).',
    );
  });

  it.each([
    ['m-1001', 'M-1001'],
    ['"m-1002"', 'M-1002'],
    ['mc-7', 'MC-7'],
  ])('stops a lower-case %s before OpenTrain and suggests %s', (typed, suggestion) => {
    expect(parseFundCommand(`${typed} note`)).toEqual({
      kind: 'invalid',
      problem: `OpenTrain milestone ids are upper case: did you mean \`${suggestion}\`?`,
      suggestion,
    });
  });

  it('suggests the same in history', () => {
    expect(parseFundCommand('history m-1001')).toMatchObject({ kind: 'invalid', suggestion: 'M-1001' });
    expect(parseFundCommand('history M 1001')).toMatchObject({ kind: 'invalid', suggestion: 'M-1001' });
  });

  it.each([
    ['cm_9x8y', 'an id of another shape'],
    ['M1001', 'no hyphen: it may be a real id'],
    ['Ms-1001', 'mixed case'],
  ])('sends %s as typed (%s)', (id) => {
    expect(parseFundCommand(id)).toEqual({ kind: 'fund', milestoneId: id, note: null });
  });

  it('trusts the case of an id inside a link', () => {
    expect(parseFundCommand('<https://app.opentrain.ai/contracts/C-1/milestones/m-1001>')).toEqual({
      kind: 'fund',
      milestoneId: 'm-1001',
      note: null,
    });
  });

  it('leaves a milestone followed by a number in the note alone', () => {
    expect(parseFundCommand('M-1001 2 batches')).toEqual({
      kind: 'fund',
      milestoneId: 'M-1001',
      note: '2 batches',
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
