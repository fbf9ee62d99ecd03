import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Command, parseCommand } from '../../src/slack/listeners/commands/parse-command.js';
import { routeUsageReply } from '../../src/slack/messages/admin.js';
import { invalidInputReply } from '../../src/slack/messages/replies.js';
import { fuzz, fuzzTimeout, hostileText, openTrainId, openTrainIdPattern } from '../helpers/fuzz.js';
import { slackMessageProblems } from '../helpers/slack-output.js';
import { commandText } from './arbitraries.js';

/*
 * `/fund-milestone <anything>`: whatever a person types (or a forged request carries), the parser answers with a
 * command whose ids are OpenTrain ids and Slack ids, or with a problem to show, which is shown escaped.
 */

const slackId = /^[A-Z0-9]+$/;

/** What every command the parser returns must hold: only ids of their grammar, and problems that render safely. */
function expectWellFormed(command: Command): void {
  switch (command.kind) {
    case 'help':
    case 'route-list':
      return;
    case 'fund':
      expect(command.milestoneId).toMatch(openTrainIdPattern);
      if (command.note !== null) {
        expect(command.note.length).toBeGreaterThan(0);
        expect(command.note.length).toBeLessThanOrEqual(500);
      }
      return;
    case 'history':
      expect(command.id).toMatch(openTrainIdPattern);
      return;
    case 'route-set':
      expect(command.target.id).toMatch(openTrainIdPattern);
      expect(command.channelId).toMatch(/^[CG][A-Z0-9]+$/);
      for (const approver of command.approvers) expect(approver.id).toMatch(slackId);
      return;
    case 'route-remove':
      expect(command.target.id).toMatch(openTrainIdPattern);
      return;
    case 'route-help': {
      if (command.problem !== undefined) expect(command.problem.trim()).not.toBe('');
      expect(slackMessageProblems(routeUsageReply(command.problem))).toEqual([]);
      return;
    }
    case 'invalid': {
      expect(command.problem.trim()).not.toBe('');
      if (command.suggestion !== undefined) expect(command.suggestion).toMatch(openTrainIdPattern);
      const reply = invalidInputReply(command.problem);
      expect(slackMessageProblems(reply)).toEqual([]);
      expect(reply.text).toContain('Nothing was sent to OpenTrain');
      return;
    }
  }
}

describe('parseCommand on anything typed', { timeout: fuzzTimeout() }, () => {
  it('never throws, and returns only ids of their grammar or a problem that renders safely', () => {
    fc.assert(
      fc.property(commandText, (text) => {
        expectWellFormed(parseCommand(text));
      }),
      fuzz(2_000),
    );
  });

  it('reads back any milestone id with any note', () => {
    const id = openTrainId().filter(
      (candidate) =>
        // Words the parser reserves, and the typos it asks about instead (m-1001, M 1001): see parse-command.ts.
        !/^(help|routes?|history)$/i.test(candidate) &&
        !/^[a-z]{1,3}-\d{1,12}$/.test(candidate) &&
        !/^[A-Za-z]{1,3}-?$/.test(candidate),
    );
    const note = hostileText().filter((text) => !/^\s*-?\d/.test(text) && text.trim().length <= 500);
    fc.assert(
      fc.property(id, note, (milestoneId, typed) => {
        const parsed = parseCommand(`${milestoneId} ${typed}`);

        expect(parsed).toEqual({
          kind: 'fund',
          milestoneId,
          note: typed.trim() === '' ? null : typed.trim(),
        });
      }),
      fuzz(1_000),
    );
  });

  it('reads the milestone out of any OpenTrain link to it', () => {
    fc.assert(
      fc.property(openTrainId(), fc.boolean(), (milestoneId, wrapped) => {
        const url = `https://app.opentrain.ai/contracts/C-1/milestones/${milestoneId}/fund`;

        const parsed = parseCommand(wrapped ? `<${url}|open>` : url);

        expect(parsed).toEqual({ kind: 'fund', milestoneId, note: null });
      }),
      fuzz(300),
    );
  });
});
