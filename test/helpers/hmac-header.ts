import { createHmac } from 'node:crypto';

/**
 * A `t=…,v1=…` header as the README documents it (HMAC-SHA256 over "<t>.<raw body>"), computed here on its own
 * rather than with the bot's signBody, so a test catches a bot that signs or checks it wrong.
 */
export function hmacHeader(
  secret: string,
  body: string,
  timestampSec = Math.floor(Date.now() / 1_000),
): string {
  return `t=${timestampSec},v1=${createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex')}`;
}
