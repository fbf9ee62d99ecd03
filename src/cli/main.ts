import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { systemClock } from '../clock.js';
import { ConfigError, loadOpenTrainSettings } from '../config.js';
import { opentrainWebhookPath } from '../http/opentrain-webhook.js';
import { createOpenTrainClient, type OpenTrainClient } from '../opentrain/client.js';
import { OpenTrainError } from '../opentrain/errors.js';
import { StoreOpenError } from '../store/errors.js';
import { describeStatus, migrate, readStatus } from './status.js';
import { describeAction, dryTick } from './tick.js';

// Operator commands: `npm run countersign -- <command>`. Reads OT_API_* from the environment or .env, like the
// bot. Usage errors exit 2, failures 1; usage asked for goes to stdout, usage after a mistake to stderr.

/** Countersign only needs the doorbell for what it follows; the feed remains the ledger. */
const webhookEvents = ['approval.confirmed', 'milestone.status_changed'];

/** What a command may use; each part is built only when asked for, so `help` needs no settings. */
interface Context {
  readonly env: Record<string, string | undefined>;
  opentrain(): OpenTrainClient;
  out(text: string): void;
  err(text: string): void;
}

interface Command {
  /** The words that name it, e.g. ['webhook', 'create']. */
  readonly name: readonly string[];
  /** Its arguments as the usage shows them, e.g. '<public url>'. */
  readonly args: string;
  /** One line for the usage (more lines indent under it). */
  readonly summary: string;
  /** Answers the exit code: 0 done, 1 failed, 2 used wrongly. */
  run(args: readonly string[], ctx: Context): Promise<number>;
}

/** The command table: a new command is one entry here. */
const commands: readonly Command[] = [
  {
    name: ['status'],
    args: '[--json]',
    summary:
      'pending approvals, queue depth, poller lag and which replica polls, the feed cursor\n(reads DATABASE_URL; --json for scripts)',
    async run(args, ctx) {
      const status = await readStatus(ctx.env);
      ctx.out(args.includes('--json') ? JSON.stringify(status, null, 2) : describeStatus(status));
      return 0;
    },
  },
  {
    name: ['migrate'],
    args: '',
    summary:
      "bring DATABASE_URL's schema up to date (the service also does it at start-up, one\nreplica at a time)",
    async run(_args, ctx) {
      const report = await migrate(ctx.env);
      if (report.applied.length === 0)
        ctx.out(`${report.where} is up to date (schema version ${report.to}).`);
      for (const step of report.applied) ctx.out(`applied ${step.version}: ${step.name}`);
      if (report.applied.length > 0) ctx.out(`${report.where} is now at schema version ${report.to}.`);
      return 0;
    },
  },
  {
    name: ['tick'],
    args: '--dry',
    summary:
      'print what the next poller tick would do against the configured store and\nOpenTrain, and change nothing (needs DATABASE_URL and OT_API_*)',
    async run(args, ctx) {
      if (!args.includes('--dry')) {
        ctx.err('Only a dry tick runs from here: tick --dry. The service runs the real ones.');
        return 2;
      }
      const report = await dryTick(ctx.env, pino({ level: 'silent' }));
      for (const action of report.actions) ctx.out(describeAction(action));
      const failed = report.failures.length === 0 ? '' : `; failing: ${report.failures.join(', ')}`;
      ctx.out(
        `${report.actions.length} action(s) from ${report.events} event(s) on ${report.pages} page(s), ${report.approvalReads} approval read(s)${failed}. Nothing was changed.`,
      );
      return report.failures.length === 0 ? 0 : 1;
    },
  },
  {
    name: ['webhook', 'create'],
    args: '<public url>',
    summary: `subscribe OpenTrain's webhook to this Countersign\n(the URL of the service; ${opentrainWebhookPath} is added when missing)`,
    async run([argument], ctx) {
      if (argument === undefined) {
        ctx.err('Say where Countersign is reachable: webhook create https://…');
        return 2;
      }
      const url = webhookUrl(argument);
      if (url === undefined) {
        ctx.err(
          'The URL must be absolute https:// (http:// only for localhost), e.g. https://countersign.example.com',
        );
        return 2;
      }
      const created = await ctx.opentrain().createWebhook(url, webhookEvents);
      ctx.out(`Created webhook ${created.webhook.id} → ${created.webhook.url} [${created.webhook.eventTypes.join(', ')}]

Set this in Countersign's environment and restart it. OpenTrain shows the secret only this once:

  OPENTRAIN_WEBHOOK_SECRET=${created.secret}
`);
      return 0;
    },
  },
  {
    name: ['webhook', 'list'],
    args: '',
    summary: "list the account's webhook subscriptions",
    async run(_args, ctx) {
      const webhooks = await ctx.opentrain().listWebhooks();
      if (webhooks.length === 0) ctx.out('No webhook subscriptions.');
      for (const webhook of webhooks) {
        const why = webhook.disabledReason ? ` (${webhook.disabledReason})` : '';
        ctx.out(`${webhook.id}  ${webhook.status}${why}  ${webhook.url}  [${webhook.eventTypes.join(', ')}]`);
      }
      return 0;
    },
  },
  {
    name: ['webhook', 'delete'],
    args: '<webhook id>',
    summary: 'delete one',
    async run([id], ctx) {
      if (id === undefined) {
        ctx.err('Say which webhook: webhook delete <id> (webhook list shows the ids)');
        return 2;
      }
      const deleted = await ctx.opentrain().deleteWebhook(id);
      ctx.out(
        `Deleted ${deleted.id} (${deleted.url}). Deliveries stop now; the poller keeps following /updates.`,
      );
      return 0;
    },
  },
];

function usage(): string {
  const heads = commands.map((command) => [...command.name, command.args].join(' ').trim());
  const width = Math.max(...heads.map((head) => head.length)) + 3;
  const lines = commands.flatMap((command, index) => {
    const [first = '', ...more] = command.summary.split('\n');
    return [
      `  ${(heads[index] ?? '').padEnd(width)}${first}`,
      ...more.map((line) => `  ${' '.repeat(width)}${line}`),
    ];
  });
  return `Usage: npm run countersign -- <command>

${lines.join('\n')}
  help${' '.repeat(width - 4)}this text

status, migrate and tick read DATABASE_URL (tick also OT_API_*). The webhook commands need OT_API_TOKEN with the webhooks:manage scope (and OT_API_BASE_URL to use another
OpenTrain), from the environment or .env.`;
}

/** The command whose name the arguments start with, and the arguments after it. */
function find(args: readonly string[]): { command: Command; rest: readonly string[] } | undefined {
  for (const command of commands) {
    if (command.name.every((word, index) => args[index] === word)) {
      return { command, rest: args.slice(command.name.length) };
    }
  }
  return undefined;
}

async function main(args: readonly string[], ctx: Context): Promise<number> {
  const [first] = args;
  if (first === 'help' || first === '--help' || first === '-h') {
    ctx.out(usage());
    return 0;
  }
  const found = find(args);
  if (found === undefined) {
    ctx.err(first === undefined ? usage() : `${unknown(args)}\n\n${usage()}`);
    return 2;
  }
  try {
    return await found.command.run(found.rest, ctx);
  } catch (error) {
    const explained = explain(error, found.command);
    if (explained === undefined) throw error;
    ctx.err(explained);
    return 1;
  }
}

/** "Unknown command: frobnicate", or for a group word, what may follow it. */
function unknown(args: readonly string[]): string {
  const [group] = args;
  const next = commands.filter((command) => command.name[0] === group).map((command) => command.name[1]);
  if (next.length === 0 || group === undefined) return `Unknown command: ${args.join(' ')}`;
  return `Unknown command: ${args.join(' ')} (${group} takes ${next.join(', ')})`;
}

/** The sentence a failed command prints, or undefined for a bug (which keeps its stack trace). */
function explain(error: unknown, command: Command): string | undefined {
  if (error instanceof ConfigError || error instanceof StoreOpenError) return error.message;
  if (!(error instanceof OpenTrainError)) return undefined;
  const reference = error.requestId ? ` (OpenTrain request id ${error.requestId})` : '';
  const creates = command.name.includes('create');
  switch (error.failure) {
    case 'network':
      return 'Could not reach OpenTrain: the connection failed (check OT_API_BASE_URL and the network). Try again.';
    case 'timeout':
      return creates
        ? 'Could not reach OpenTrain: it did not answer in time, so the webhook may or may not have been created. Run `webhook list` before trying again.'
        : 'Could not reach OpenTrain: it did not answer in time. Try again.';
    case 'unavailable':
      return `Could not reach OpenTrain: it answered HTTP ${error.status ?? '5xx'} (a server error on its side)${reference}. Try again in a few minutes.`;
    case 'rate-limited': {
      const wait =
        error.retryAfterMs === undefined ? 'in a minute' : `in ${Math.ceil(error.retryAfterMs / 1_000)} s`;
      return `Could not reach OpenTrain: it is rate limiting this token. Try again ${wait}.`;
    }
    case 'unauthorized':
      return `OpenTrain refused the token (401)${reference}: OT_API_TOKEN is wrong, expired or revoked. Mint a new one in OpenTrain (Settings → API keys).`;
    case 'missing-scope':
      return `OpenTrain refused: ${error.message}.${reference} The token needs the webhooks:manage scope: mint one in OpenTrain (Settings → API keys).`;
    case 'feature-disabled':
      return error.featureUnconfirmed
        ? `OpenTrain refused${reference}, and its capabilities could not be read: webhooks may not be enabled for this account. The poller works without them.`
        : `OpenTrain refused${reference}: webhooks are not enabled for this OpenTrain account. The poller works without them.`;
    default:
      return `OpenTrain refused: ${error.message}.${reference}`;
  }
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

function processContext(): Context {
  let client: OpenTrainClient | undefined;
  return {
    env: process.env,
    opentrain() {
      client ??= createOpenTrainClient({
        ...loadOpenTrainSettings(process.env),
        clock: systemClock,
        log: pino({ level: 'silent' }),
      });
      return client;
    },
    out: (text) => console.log(text),
    err: (text) => console.error(text),
  };
}

if (existsSync('.env')) process.loadEnvFile('.env');
process.exitCode = await main(process.argv.slice(2), processContext());
