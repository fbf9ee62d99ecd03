import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { type Sandbox, sandboxCast, startSandbox } from '../../src/sandbox/start-sandbox.js';

/** The page's account switches, driven the way the page drives them: JSON posts to the sandbox server. */
describe('sandbox account switches', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ env: {}, log: createLogger({ level: 'silent' }) });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  async function post(path: string, body: unknown) {
    const response = await fetch(`${sandbox.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function replyTo(milestoneId: string, fragment: string) {
    await post('/sandbox/command', {
      channelId: sandboxCast.typingChannel,
      text: `/fund-milestone ${milestoneId}`,
    });
    return sandbox.slack.waitUntil(
      () =>
        sandbox.slack.ephemerals(sandboxCast.you).find((message) => message.text.includes(fragment))?.text,
      5_000,
      `a reply containing "${fragment}"`,
    );
  }

  it.each([
    ['paymentsWriteScope', 'missing the scope `payments:write`'],
    ['paymentsApi', '`public_api_payments_write`'],
    ['paymentMethod', 'payment method'],
    ['claimed', 'not been claimed'],
  ])(
    'turning %s off makes OpenTrain refuse and Countersign explain, with no card',
    async (field, fragment) => {
      const off = await post('/sandbox/account', { [field]: false });
      expect(off.body).toMatchObject({ account: { [field]: false } });

      await replyTo('M-1002', fragment);
      const on = await post('/sandbox/account', { [field]: true });

      expect(on.body).toMatchObject({ account: { [field]: true } });
      expect(sandbox.opentrain.snapshot().approvals).toEqual([]);
    },
  );

  it('refuses a switch it does not know, naming the ones it does', async () => {
    const refused = await post('/sandbox/account', { tokenRevoked: true });

    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('paymentsWriteScope');
  });
});
