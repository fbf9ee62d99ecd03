import { createHmac } from 'node:crypto';

// A type alias rather than an interface so it can be passed wherever a plain header record is expected.
export type SlackSignatureHeaders = {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
};

/**
 * Slack's v0 request signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` under the signing secret.
 * The timestamp defaults to real wall-clock seconds, not the injected clock: Slack signs in real time and Bolt
 * checks the 5-minute replay window against the real clock, whatever the sandbox has fast-forwarded.
 */
export function signSlackRequest(
  signingSecret: string,
  body: string,
  timestampSec: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(timestampSec) };
}
