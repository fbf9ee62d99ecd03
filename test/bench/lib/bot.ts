import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../..', import.meta.url));
export const botEntry = join(root, 'dist', 'main.js');

export interface RssSample {
  /** Date.now() */
  readonly at: number;
  readonly bytes: number;
}

/** Samples a process's resident set from /proc (outside the process, so a blocked event loop cannot hide it). */
export function sampleRss(pid: number, everyMs = 250) {
  const samples: RssSample[] = [];
  const read = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      if (kib !== undefined) samples.push({ at: Date.now(), bytes: Number(kib) * 1024 });
    } catch {
      // the process is gone
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  timer.unref();
  return {
    samples,
    stop() {
      read();
      clearInterval(timer);
    },
    /** Largest sample at or after `since` (Date.now() ms). */
    maxSince(since = 0): number {
      let largest = Number.NaN;
      for (const sample of samples) {
        if (sample.at >= since && !(sample.bytes <= largest)) largest = sample.bytes;
      }
      return largest;
    },
    last(): number {
      return samples.at(-1)?.bytes ?? Number.NaN;
    },
  };
}

export interface BotProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly logPath: string;
  /** Date.now() when the process was spawned, and when it said it was listening. */
  readonly spawnedAt: number;
  readonly listeningAt: number;
  readonly rss: ReturnType<typeof sampleRss>;
  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`); resolves with how it ended. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: string | null; tookMs: number }>;
}

/**
 * The flags the production process runs with (the Dockerfile's CMD and `npm start`; test/unit/deploy.test.ts
 * keeps the three equal): V8's young generation capped at 4 MB a semi-space instead of 16, which keeps the
 * resident set under 150 MB at 100,000 tracked approvals for a few more, shorter scavenges.
 */
export const productionNodeFlags = ['--max-semi-space-size=4'] as const;

/**
 * Starts the production process, `node dist/main.js` with its flags, with only PATH and `env` in its environment and a fresh
 * working directory (so no .env is read), its JSON log written to `logPath`. Resolves once it listens.
 */
export async function spawnBot(
  env: Record<string, string>,
  options: { logPath: string; cwd: string; startTimeoutMs?: number },
): Promise<BotProcess> {
  if (!existsSync(botEntry)) throw new Error(`${botEntry} is missing: run npm run build first`);
  const spawnedAt = Date.now();
  const child = spawn(
    process.execPath,
    [
      ...productionNodeFlags,
      ...(process.env.BENCH_BOT_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      botEntry,
    ],
    {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(options.logPath, { flags: 'a' });
  child.stderr?.pipe(log, { end: false });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the bot process did not start');
  const rss = sampleRss(pid);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, 'exit');
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the bot did not listen within ${options.startTimeoutMs ?? 120_000} ms`)),
      options.startTimeoutMs ?? 120_000,
    );
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      if (!line.includes('countersign is listening')) return;
      try {
        const entry = JSON.parse(line) as { port?: number };
        clearTimeout(timer);
        resolve(entry.port ?? 0);
      } catch {
        // not JSON: keep looking
      }
    });
    void exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(
        new Error(
          `the bot exited (code ${code}, signal ${signal}) before it listened; see ${options.logPath}`,
        ),
      );
    });
  });
  let port: number;
  try {
    port = await listening;
  } catch (error) {
    rss.stop();
    child.kill('SIGKILL');
    throw error;
  }
  const listeningAt = Date.now();
  let stopped: Promise<{ code: number | null; signal: string | null; tookMs: number }> | undefined;
  return {
    child,
    pid,
    url: `http://127.0.0.1:${port}`,
    logPath: options.logPath,
    spawnedAt,
    listeningAt,
    rss,
    stop(timeoutMs = 15_000) {
      stopped ??= (async () => {
        const began = Date.now();
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          await exited;
          clearTimeout(killer);
        }
        rss.stop();
        await new Promise<void>((resolve) => log.end(() => resolve()));
        return { code: child.exitCode, signal: child.signalCode, tookMs: Date.now() - began };
      })();
      return stopped;
    },
  };
}

/** The environment the bot needs to talk to the fakes; the caller adds DATABASE_URL, schedule and the rest. */
export function botEnv(fakes: {
  slack: { botToken: string; signingSecret: string; apiUrl: string };
  opentrain: { token: string; apiBaseUrl: string | undefined };
}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: fakes.slack.botToken,
    SLACK_SIGNING_SECRET: fakes.slack.signingSecret,
    SLACK_API_URL: fakes.slack.apiUrl,
    OT_API_TOKEN: fakes.opentrain.token,
    OT_API_BASE_URL: fakes.opentrain.apiBaseUrl ?? '',
    PORT: '0',
    LOG_LEVEL: 'info',
  };
}

/** A baseline server from test/bench/baselines (run through tsx), resolved once it prints its port. */
export async function spawnBaseline(
  file: string,
  env: Record<string, string>,
): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test', 'bench', 'baselines', file)], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    void exited.then(() => reject(new Error(`${file} exited before it listened`)));
  });
  lines.on('line', () => {});
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
