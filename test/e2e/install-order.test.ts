import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSlackRequest } from '../../src/sandbox/slack/signing.js';
import { type Harness, startHarness } from './harness.js';

// The README's install order rests on this: Slack verifies the events request URL with a signed
// url_verification challenge, and Countersign answers it only once it runs with that app's signing secret.
describe("Slack's url_verification challenge", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterAll(async () => {
    await h.close();
  });

  const body = JSON.stringify({
    token: 'legacy',
    challenge: 'c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd',
    type: 'url_verification',
  });

  async function deliver(headers: Record<string, string>) {
    const response = await fetch(`${h.service.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: response.status, text: await response.text() };
  }

  it('is answered with the challenge when signed with the configured signing secret', async () => {
    const answer = await deliver(h.slack.sign(body));

    expect(answer.status).toBe(200);
    expect(answer.text).toContain('c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd');
  });

  it('is refused (401) unsigned, or signed with another secret: verify only after Countersign runs with yours', async () => {
    const unsigned = await deliver({});
    const otherApp = await deliver(
      signSlackRequest('another-apps-signing-secret', body, Math.floor(Date.now() / 1000)),
    );

    expect(unsigned.status).toBe(401);
    expect(otherApp.status).toBe(401);
    expect(`${unsigned.text}${otherApp.text}`).not.toContain('c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmd');
  });
});
