import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, ids, opentrainCalls, startHarness } from './harness.js';

/** The fields Slack sends with /fund-milestone, in its order; a test removes or repeats some. */
function commandForm(fields: Record<string, string | string[] | undefined>): string {
  const all: Record<string, string | string[] | undefined> = {
    token: 'sandbox-verification-token',
    team_id: ids.team,
    team_domain: 'opentrain-sandbox',
    channel_id: ids.financeApprovals,
    channel_name: 'finance-approvals',
    user_id: ids.alice,
    user_name: 'alice',
    command: '/fund-milestone',
    text: 'M-1001',
    api_app_id: ids.app,
    is_enterprise_install: 'false',
    trigger_id: `${Date.now()}.1.${Math.random().toString(16).slice(2)}`,
    ...fields,
  };
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(all)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) form.append(name, one);
  }
  return form.toString();
}

// Issue 9: a signed command without channel_id was acked "Asking OpenTrain…" and then failed silently; a
// non-string text threw, giving no ack and a 404 after 3 s. Every malformed but signed request gets a clear answer.
describe('a signed command that is missing what Countersign needs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterAll(async () => {
    await h.close();
  });

  async function send(fields: Record<string, string | string[] | undefined>) {
    const started = performance.now();
    const result = await h.slack.sendSigned({
      appUrl: `${h.service.url}/slack/events`,
      body: commandForm({ response_url: h.slack.responseUrl(ids.alice, ids.financeApprovals), ...fields }),
      contentType: 'application/x-www-form-urlencoded',
    });
    return { ...result, ms: performance.now() - started };
  }

  it.each([
    ['without channel_id', { channel_id: undefined }],
    ['with channel_id empty', { channel_id: '' }],
    ['without user_id', { user_id: undefined }],
    ['with text sent twice (not one string)', { text: ['M-1001', 'M-1002'] }],
    ['without response_url and without channel_id', { channel_id: undefined, response_url: undefined }],
  ])(
    '%s: answers in the ack with a clear ephemeral message, and asks OpenTrain nothing',
    async (_label, fields) => {
      const before = opentrainCalls(h, 'POST', '/').length;

      const result = await send(fields);
      await h.service.pollNow();

      expect(result.failure).toBeUndefined();
      expect(result.ms).toBeLessThan(3_000);
      expect(result.status).toBe(200);
      const answer = result.json as { response_type?: string; text?: string } | undefined;
      expect(answer?.response_type).toBe('ephemeral');
      expect(answer?.text).toMatch(/nothing was sent to OpenTrain/);
      expect(opentrainCalls(h, 'POST', '/')).toHaveLength(before);
    },
  );

  it('with a number for text (a JSON body): answers in the ack, and asks OpenTrain nothing', async () => {
    const before = opentrainCalls(h, 'POST', '/').length;
    const body = JSON.stringify({
      team_id: ids.team,
      channel_id: ids.financeApprovals,
      user_id: ids.alice,
      command: '/fund-milestone',
      text: 1001,
      trigger_id: `${Date.now()}.2.abc`,
    });

    const result = await h.slack.sendSigned({
      appUrl: `${h.service.url}/slack/events`,
      body,
      contentType: 'application/json',
    });
    await h.service.pollNow();

    expect(result.status).toBe(200);
    const answer = result.json as { response_type?: string; text?: string } | undefined;
    expect(answer?.response_type).toBe('ephemeral');
    expect(answer?.text).toMatch(/nothing was sent to OpenTrain/);
    expect(opentrainCalls(h, 'POST', '/')).toHaveLength(before);
  });

  // Found by fuzzing: a body of JSON null (or payload=null) threw before the signature was checked, and the
  // request was answered 500 with an error in the log.
  it.each([
    ['null', 'application/json'],
    ['[]', 'application/json'],
    ['payload=null', 'application/x-www-form-urlencoded'],
    ['payload=%22text%22', 'application/x-www-form-urlencoded'],
  ] as const)(
    'a signed body that is not a JSON object (%s) is refused as invalid, not a 500',
    async (body, contentType) => {
      const result = await h.slack.sendSigned({ appUrl: `${h.service.url}/slack/events`, body, contentType });

      expect(result.status).toBe(400);
      expect(result.json).toEqual({ error: 'invalid_body' });
    },
  );

  it('without text: answers with the usage, and asks OpenTrain nothing', async () => {
    const before = opentrainCalls(h, 'POST', '/').length;

    const result = await send({ text: undefined });
    await h.service.pollNow();

    expect(result.status).toBe(200);
    const answer = result.json as { response_type?: string; text?: string; blocks?: unknown } | undefined;
    expect(answer?.response_type).toBe('ephemeral');
    expect(`${answer?.text ?? ''}${JSON.stringify(answer?.blocks ?? '')}`).toContain('/fund-milestone');
    expect(opentrainCalls(h, 'POST', '/')).toHaveLength(before);
  });
});
