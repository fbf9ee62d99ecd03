import { systemClock } from '../../../src/clock.js';
import {
  createOpenTrainSimulator,
  type OpenTrainSimulator,
} from '../../../src/sandbox/opentrain/simulator.js';
import { createSlackFake, type SlackFake } from '../../../src/sandbox/slack/fake.js';
import type { ApiCall } from '../../../src/sandbox/slack/types.js';

export interface Fakes {
  readonly slack: SlackFake;
  readonly opentrain: OpenTrainSimulator;
  close(): Promise<void>;
}

/**
 * The Slack fake and the OpenTrain simulator on loopback, on real time (the bot runs as its own process on the
 * system clock). The fake waits 60 s for an ack instead of Slack's 3 s, so a slow ack is measured, not cut off.
 */
export async function startFakes(): Promise<Fakes> {
  const opentrain = createOpenTrainSimulator({ clock: systemClock });
  await opentrain.listen();
  const slack = createSlackFake({ clock: systemClock, ackTimeoutMs: 60_000 });
  await slack.listen();
  return {
    slack,
    opentrain,
    async close() {
      await slack.close();
      await opentrain.close();
    },
  };
}

/** Every call the fake records from now on, as it is recorded (the fake's `calls` copies its whole log). */
export function followCalls(slack: SlackFake, onCall: (call: ApiCall) => void): () => void {
  return slack.onChange((change) => {
    if (change.type === 'call') onCall(change.call);
  });
}

export const isOk = (call: ApiCall): boolean =>
  call.response.status === 200 && (call.response.body as { ok?: boolean } | undefined)?.ok === true;
