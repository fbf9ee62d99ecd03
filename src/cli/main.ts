import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { systemClock } from '../clock.js';
import { ConfigError, loadOpenTrainSettings } from '../config.js';
import { opentrainWebhookPath } from '../http/opentrain-webhook.js';
import { createOpenTrainClient } from '../opentrain/client.js';
import { OpenTrainError } from '../opentrain/errors.js';

// Operator commands: `npm run countersign -- webhook create|list|delete`. Reads OT_API_* from the
// environment or .env, like the bot.

/** Countersign only needs the doorbell for what it follows; the feed remains the ledger. */
const webhookEvents = ['approval.confirmed', 'milestone.status_changed'];

const usage = `Usage: npm run countersign -- <command>

  webhook create <public url>   subscribe OpenTrain's webhook to this Countersign
                                (the URL of the service; ${opentrainWebhookPath} is added when missing)
  webhook list                  list the account's webhook subscriptions
  webhook delete <webhook id>   delete one

Needs OT_API_TOKEN with the webhooks:manage scope (and OT_API_BASE_URL to use another OpenTrain).`;

async function main(args: readonly string[]): Promise<number> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const [group, command, argument] = args;
  if (group !== 'webhook' || command === undefined || !['create', 'list', 'delete'].includes(command)) {
    console.log(usage);
    return group === undefined || group === 'help' || group === '--help' ? 0 : 2;
  }
  const settings = loadOpenTrainSettings(process.env);
  const opentrain = createOpenTrainClient({
    ...settings,
    clock: systemClock,
    log: pino({ level: 'silent' }),
  });

  if (command === 'list') {
    const webhooks = await opentrain.listWebhooks();
    if (webhooks.length === 0) console.log('No webhook subscriptions.');
    for (const webhook of webhooks) {
      const why = webhook.disabledReason ? ` (${webhook.disabledReason})` : '';
      console.log(
        `${webhook.id}  ${webhook.status}${why}  ${webhook.url}  [${webhook.eventTypes.join(', ')}]`,
      );
    }
    return 0;
  }
  if (argument === undefined) {
    console.error(
      command === 'create'
        ? 'Say where Countersign is reachable: webhook create https://…'
        : 'Say which webhook: webhook delete <id>',
    );
    return 2;
  }
  if (command === 'delete') {
    const deleted = await opentrain.deleteWebhook(argument);
    console.log(
      `Deleted ${deleted.id} (${deleted.url}). Deliveries stop now; the poller keeps following /updates.`,
    );
    return 0;
  }
  const url = webhookUrl(argument);
  if (url === undefined) {
    console.error(
      'The URL must be absolute https:// (http:// only for localhost), e.g. https://countersign.example.com',
    );
    return 2;
  }
  const created = await opentrain.createWebhook(url, webhookEvents);
  console.log(`Created webhook ${created.webhook.id} → ${created.webhook.url} [${created.webhook.eventTypes.join(', ')}]

Set this in Countersign's environment and restart it. OpenTrain shows the secret only this once:

  OPENTRAIN_WEBHOOK_SECRET=${created.secret}
`);
  return 0;
}

function webhookUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) return undefined;
  if (url.pathname === '/' || url.pathname === '') url.pathname = opentrainWebhookPath;
  return url.toString();
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else if (error instanceof OpenTrainError) {
    const hint =
      error.failure === 'missing-scope'
        ? ' The token needs the webhooks:manage scope: mint one in OpenTrain (Settings → API keys).'
        : error.failure === 'feature-disabled'
          ? ' Webhooks are not enabled for this OpenTrain account; the poller works without them.'
          : '';
    console.error(
      `OpenTrain refused: ${error.message}.${hint}${error.requestId ? ` (request id ${error.requestId})` : ''}`,
    );
  } else {
    throw error;
  }
  process.exitCode = 1;
}
