// `npm run bench`: every figure of issue 11 (and issue 10's PostgreSQL and replica rows), measured from outside
// against the production process (`node dist/main.js`, built first) and the independent fakes on loopback, side
// by side in one run, each against its bound or baseline. Prints a table and writes bench/report.md and
// bench/report.json. docs/performance.md says what each row measures.
//
//   npm run bench                      default sizes, a few minutes (10,000 pending)
//   npm run bench -- --full            100,000 pending
//   npm run bench -- --quick           a smoke run of about a minute (report in a temp dir)
//   npm run bench -- --only=scale,burst,commands   some scenarios only
//   --pending=N --cards=N --commands=N  other sizes; --store=postgres runs scale and burst on PostgreSQL
//   --no-build                         use dist/ as it is; --keep keeps the run's temp dir (bot logs, stores)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './lib/bot.js';
import { closeProbes } from './lib/probe.js';
import { machine, notMeasured, printTable, type Row, writeReports } from './lib/report.js';
import { findPostgres, postgresTarget, type StoreTarget, sqliteTarget } from './lib/store-target.js';
import { burstRows, type CommandRuns, commandRows, scaleRows } from './rows.js';
import { runBurst } from './scenarios/burst.js';
import { runCommands } from './scenarios/commands.js';
import { runScale } from './scenarios/scale.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const unknown = args.filter(
  (arg) =>
    !/^--(quick|full|no-build|keep|only=.+|pending=\d+|cards=\d+|commands=\d+|store=(sqlite|postgres))$/.test(
      arg,
    ),
);
if (unknown.length > 0) {
  console.error(`npm run bench: unknown argument ${unknown.join(' ')}; see the top of test/bench/main.ts`);
  process.exit(2);
}

const profile = flag('full') ? 'full' : flag('quick') ? 'quick' : 'default';
const sizes = {
  quick: { pending: 1_000, rounds: 1, idle: 1, ackWindowMs: 3_000, cards: 100, commands: 40 },
  default: { pending: 10_000, rounds: 3, idle: 3, ackWindowMs: 20_000, cards: 1_000, commands: 200 },
  full: { pending: 100_000, rounds: 3, idle: 3, ackWindowMs: 40_000, cards: 1_000, commands: 500 },
}[profile];
const pending = Number(option('pending') ?? sizes.pending);
const cards = Number(option('cards') ?? sizes.cards);
const commands = Number(option('commands') ?? sizes.commands);
const storeKind = option('store') ?? 'sqlite';
const only = new Set((option('only') ?? 'scale,burst,commands').split(','));
const schedule = '*/2 * * * * *';
const channels = 20;
const fundLatencyMs = 1_500;

const started = Date.now();
const host = machine();
const say = (line: string) =>
  console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const profileArg = profile === 'default' ? '' : ` --${profile}`;
const commandFor = (scenario: string, extra: string) =>
  `npm run bench --${profileArg} --only=${scenario}${extra}`;
const storeArg = storeKind === 'sqlite' ? '' : ` --store=${storeKind}`;
const sizeArg = (name: string, value: number, fallback: number) =>
  value === fallback ? '' : ` --${name}=${value}`;

if (!flag('no-build')) {
  say('npm run build');
  const built = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) {
    console.error('the build failed: the bench measures dist/main.js, so it stops here');
    process.exit(1);
  }
}

const workDir = mkdtempSync(join(tmpdir(), 'countersign-bench-'));
const postgres = await findPostgres();
const rows: Row[] = [];

async function target(kind: string, name: string): Promise<StoreTarget> {
  if (kind === 'sqlite') return sqliteTarget(join(workDir, name));
  if (!('url' in postgres)) throw new Error(postgres.reason);
  return postgresTarget(postgres.url);
}

async function scenario(
  name: string,
  ids: readonly [string, string][],
  command: string,
  run: () => Promise<Row[]>,
) {
  if (!only.has(name)) return;
  say(`${name}: ${command}`);
  try {
    rows.push(...(await run()));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    say(`${name} failed: ${reason}`);
    for (const [id, figure] of ids) rows.push(notMeasured(id, figure, `the run failed: ${reason}`, command));
  }
}

await scenario(
  'scale',
  [
    ['1a', 'Idle poll tick'],
    ['1b', 'Poll tick reading 10 resolutions'],
    ['1c', 'OpenTrain calls per idle tick'],
    ['1d', 'OpenTrain calls per tick reading 10 resolutions'],
    ['1e', 'Bot RSS'],
    ['1f', 'GET /readyz latency'],
    ['1g', 'Store bytes per tracked approval'],
    ['2a', 'Command ack while ticks run'],
    ['2b', 'GET /healthz while ticks run'],
    ['2c', "Command ack while ticks run, Alice's App Home open"],
    ['2d', "GET /healthz while ticks run, Alice's App Home open"],
    ['4a', 'App Home published'],
    ['4b', 'App Home counts every pending approval'],
    ['5a', 'Countdown chat.update calls per minute'],
    ['5b', 'Outcome card edit after the tick that read it'],
  ],
  commandFor('scale', `${sizeArg('pending', pending, sizes.pending)}${storeArg}`),
  async () => {
    const run = async (size: number) => {
      const store = await target(storeKind, `scale-${size}`);
      try {
        say(`scale: ${size} pending (${storeKind})`);
        return await runScale({
          pending: size,
          resolutionRounds: sizes.rounds,
          idleTicks: sizes.idle,
          ackWindowMs: sizes.ackWindowMs,
          acksPerSecond: 5,
          schedule,
          target: store,
          workDir,
          say,
        });
      } finally {
        await store.dispose();
      }
    };
    const small = await run(1);
    const large = await run(pending);
    return scaleRows(
      small,
      large,
      commandFor('scale', `${sizeArg('pending', pending, sizes.pending)}${storeArg}`),
      storeKind,
    );
  },
);

await scenario(
  'burst',
  [
    ['3', 'Poll tick reading 1,000 resolutions'],
    ['6a', '429s while 1,000 cards end under a chat.update limit'],
    ['6b', 'chat.update calls sent inside a Retry-After'],
    ['6c', '1,000 cards ending: first to last outcome edit'],
  ],
  commandFor('burst', `${sizeArg('cards', cards, sizes.cards)}${storeArg}`),
  async () => {
    const store = await target(storeKind, 'burst');
    try {
      const result = await runBurst({
        cards,
        limit: 50,
        windowMs: 1_000,
        schedule,
        target: store,
        workDir,
        say,
      });
      return burstRows(
        result,
        commandFor('burst', `${sizeArg('cards', cards, sizes.cards)}${storeArg}`),
        storeKind,
      );
    } finally {
      await store.dispose();
    }
  },
);

await scenario(
  'commands',
  [
    ['7a', 'Command ack p50 / p99 (SQLite, 1 replica)'],
    ['7b', 'Bare Bolt app acking at once'],
    ['7c', 'Card latency p50 / max (SQLite, 1 replica)'],
    ['7d', 'Store bytes per approval the bot wrote (SQLite)'],
  ],
  commandFor('commands', sizeArg('commands', commands, sizes.commands)),
  async () => {
    const options = { commands, concurrency: 50, channels, fundLatencyMs, schedule, workDir, say };
    const floor = await runCommands({ kind: 'floor' }, options);
    const bolt = await runCommands({ kind: 'bolt' }, options);
    const sqlite = await runCommands(
      { kind: 'bot', target: await target('sqlite', 'commands'), replicas: 1 },
      options,
    );
    let pg: CommandRuns['postgres'];
    if ('url' in postgres) {
      const replicas = async (count: number) => {
        const store = await target('postgres', `commands-${count}`);
        try {
          return await runCommands({ kind: 'bot', target: store, replicas: count }, options);
        } finally {
          await store.dispose();
        }
      };
      try {
        pg = { one: await replicas(1), three: await replicas(3) };
      } catch (error) {
        pg = {
          reason: `the PostgreSQL run failed: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    } else {
      pg = { reason: postgres.reason };
    }
    return commandRows(
      { floor, bolt, sqlite, postgres: pg },
      { commands, channels, fundLatencyMs },
      commandFor('commands', sizeArg('commands', commands, sizes.commands)),
    );
  },
);

await closeProbes();
// In figure order (1a … 7d, then issue 10's rows), whatever order the scenarios ran in.
const order = (id: string) => Number.parseInt(id, 10) * 100 + (id.replace(/^\d+/, '').charCodeAt(0) || 0);
rows.sort((a, b) => order(a.id) - order(b.id));
const durationMs = Date.now() - started;
console.log(
  `\nCountersign bench (${profile}, ${Math.round(durationMs / 1000)} s, Node ${process.version})\n`,
);
console.log(printTable(rows));
console.log('\nCommands:');
for (const command of new Set(rows.map((row) => row.command))) console.log(`  ${command}`);
const reportDir = profile === 'quick' ? workDir : join(root, 'bench');
const written = writeReports(reportDir, {
  machine: host,
  command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
  profile,
  sizes: { pending, cards, commands, channels, fundLatencyMs, pollSchedule: schedule },
  durationMs,
  rows,
});
console.log(`\nWrote ${written.md} and ${written.json}`);
if (!flag('keep') && profile !== 'quick') rmSync(workDir, { recursive: true, force: true });
else console.log(`Bot logs and stores: ${workDir}`);
