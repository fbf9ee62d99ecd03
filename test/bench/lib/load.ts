import type { SlackFake } from '../../../src/sandbox/slack/fake.js';

export interface CommandSample {
  /** Date.now() when it was sent. */
  readonly sentAt: number;
  /** Until the whole answer was in (what Slack waits for). */
  readonly ms: number;
  readonly status: number;
  readonly failure: string | undefined;
  readonly text: string;
}

export interface CommandSpec {
  readonly appUrl: string;
  readonly text: string;
  readonly userId: string;
  readonly channelId: string;
}

/** One signed `/fund-milestone`, sent by the Slack fake exactly as Slack would, and timed to its answer. */
export async function sendCommand(slack: SlackFake, spec: CommandSpec): Promise<CommandSample> {
  const sentAt = Date.now();
  const started = performance.now();
  const result = await slack.sendCommand({
    appUrl: spec.appUrl,
    text: spec.text,
    userId: spec.userId,
    channelId: spec.channelId,
  });
  return {
    sentAt,
    ms: performance.now() - started,
    status: result.status,
    failure: result.failure,
    text: spec.text,
  };
}

/** Sends every command with at most `concurrency` in flight (closed loop: a new one as soon as one is answered). */
export async function sendAll(
  slack: SlackFake,
  specs: readonly CommandSpec[],
  concurrency: number,
): Promise<CommandSample[]> {
  const samples: CommandSample[] = new Array(specs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, specs.length) }, async () => {
      while (next < specs.length) {
        const i = next++;
        const spec = specs[i];
        if (spec !== undefined) samples[i] = await sendCommand(slack, spec);
      }
    }),
  );
  return samples;
}

/** Sends `make(i)` every `everyMs` for `forMs` (open loop: the rate holds however slow the answers are). */
export async function sendAtRate(
  slack: SlackFake,
  make: (i: number) => CommandSpec,
  everyMs: number,
  forMs: number,
): Promise<CommandSample[]> {
  const pending: Promise<CommandSample>[] = [];
  const started = performance.now();
  for (let i = 0; performance.now() - started < forMs; i++) {
    pending.push(sendCommand(slack, make(i)));
    const due = started + (i + 1) * everyMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return Promise.all(pending);
}
