// The await-first ack handler for row 7: a bare Bolt app (its own HTTP receiver, the signing secret and bot
// token from the environment, Web API calls to the Slack fake) whose /fund-milestone listener only acks.
// Run as its own process by the bench; prints {"port": …} once it listens.
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { keepAliveTimeoutMs } from '../../../src/http/server.js';

const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
  logLevel: LogLevel.ERROR,
});
app.command('/fund-milestone', async ({ ack }) => {
  await ack();
});
const server = (await app.start(0)) as { address(): AddressInfo | string | null; keepAliveTimeout: number };
// The bot's keep-alive, so all three keep the load generator's idle connections equally long.
server.keepAliveTimeout = keepAliveTimeoutMs;
const address = server.address();
console.log(JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 }));
process.once('SIGTERM', () => {
  void app.stop().then(() => process.exit(0));
});
