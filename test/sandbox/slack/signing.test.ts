import { verifySlackRequest } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { startFake, verifies } from './helpers.js';

describe('Slack fake signing', () => {
  it("produces v0 signatures that Bolt's verifier accepts, and only for the signed body", async () => {
    const { fake } = await startFake();
    const body = 'command=%2Ffund-milestone&text=123';

    const headers = fake.sign(body);

    expect(headers['x-slack-signature']).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(() =>
      verifySlackRequest({
        signingSecret: fake.signingSecret,
        body,
        headers: { ...headers, 'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']) },
      }),
    ).not.toThrow();
    expect(verifies(fake, `${body}0`, headers)).toBe(false);
    expect(verifies(fake, body, fake.sign(body, Math.floor(Date.now() / 1000) - 600))).toBe(false);
    await fake.close();
  });
});
