import { App } from '@slack/bolt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { dispatch } from '../../../src/slack/dispatch.js';
import { createSlackHttpReceiver } from '../../../src/slack/http-receiver.js';
import type { CommandHandler } from '../../../src/slack/listeners/commands/index.js';

const log = createLogger({ level: 'silent' });
const command = { command: '/fund-milestone', text: 'M-1001', user_id: 'U1', channel_id: 'C1' };

/** A Bolt app with no listeners, on our receiver (it is only reached for what has no handler here). */
function boltApp(): App {
  const receiver = createSlackHttpReceiver({
    signingSecret: 'dispatch-test-secret',
    inbound: { recordDelivery: async () => true },
    log,
    businessNow: () => new Date(),
  });
  return new App({
    receiver,
    authorize: async () => ({ botToken: 'xoxb-test', botId: 'B1', botUserId: 'UBOT', teamId: 'T1' }),
    logger: {
      debug() {},
      info() {},
      warn() {},
      error() {},
      setLevel() {},
      getLevel: () => 'error' as never,
      setName() {},
    },
  });
}

async function deliver(handlers: Record<string, CommandHandler>, body: Record<string, unknown> = command) {
  const answers: unknown[] = [];
  const done = dispatch(
    boltApp(),
    { body, answer: (payload) => answers.push(payload), requestId: 'v0=signature' },
    {
      inbound: { recordDelivery: async () => true },
      log,
      now: () => new Date(),
      commands: new Map(Object.entries(handlers)),
    },
  );
  return { answers, done };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('dispatch of a slash command', () => {
  it("hands the command to its handler and sends the handler's answer, once", async () => {
    const seen: unknown[] = [];
    const { answers, done } = await deliver({
      '/fund-milestone': async ({ command: body, ack, requestId }) => {
        seen.push(body.text, requestId);
        await ack({ text: 'first' });
        await ack({ text: 'second' });
      },
    });
    await done;

    expect(seen).toEqual(['M-1001', 'v0=signature']);
    expect(answers).toEqual([{ text: 'first' }]);
  });

  it('answers truthfully for a handler that throws before answering', async () => {
    const { answers, done } = await deliver({
      '/fund-milestone': async () => {
        throw new Error('boom');
      },
    });
    await done;

    expect(answers).toHaveLength(1);
    expect(JSON.stringify(answers[0])).toContain('nothing was sent to OpenTrain');
  });

  it("answers within Slack's 3 seconds for a handler that is still working, and not again after", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let finish: () => void = () => {};
    const { answers, done } = await deliver({
      '/fund-milestone': async ({ ack }) => {
        await new Promise<void>((resolve) => {
          finish = resolve;
        });
        await ack({ text: 'too late' });
      },
    });
    await vi.advanceTimersByTimeAsync(2_500);
    expect(JSON.stringify(answers)).toContain('taking longer than usual');

    finish();
    await done;
    expect(answers).toHaveLength(1);
  });

  it('gives a command it has no handler for to Bolt, and answers it when nothing did', async () => {
    const { answers, done } = await deliver({}, { ...command, command: '/something-else' });
    await done;

    expect(answers).toHaveLength(1);
    expect(JSON.stringify(answers[0])).toContain('could not handle this command');
  });
});
