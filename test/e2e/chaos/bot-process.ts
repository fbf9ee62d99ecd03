import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  type WriteStream,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { root } from '../cli.js';

/** The newest modification time of the TypeScript files under `dir` (the sandbox is not part of the build). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== join(root, 'src', 'sandbox')) newest = Math.max(newest, newestSource(path));
    } else if (entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/**
 * Where the run's build goes: `npm run build` exactly (tsconfig.build.json), into a folder of its own inside
 * the project (so packages resolve as from dist/), because other tests rebuild dist/ while they run and a
 * process started from a half-written dist/ would crash for reasons that are not the bot's.
 */
export const buildDir = join(root, 'node_modules', '.cache', 'countersign-chaos', 'dist');

/**
 * Builds once, when the build is missing or older than any source file. Test files run in parallel and more
 * than one starts the production process (the chaos run, the replicas test): one builds while the others wait
 * on a lock, then find the build fresh.
 */
export function buildIfStale(): 'built' | 'fresh' {
  const lock = `${buildDir}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  const giveUpAt = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than any build is one a killed run left behind.
      if (Date.now() - statSync(lock).mtimeMs > 240_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > giveUpAt) throw new Error(`${lock} stayed taken: another test run is building`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    return buildNow();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function buildNow(): 'built' | 'fresh' {
  const main = join(buildDir, 'main.js');
  const sources = Math.max(
    newestSource(join(root, 'src')),
    statSync(join(root, 'tsconfig.build.json')).mtimeMs,
  );
  if (existsSync(main) && statSync(main).mtimeMs >= sources) return 'fresh';
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '-p', 'tsconfig.build.json', '--outDir', buildDir];
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
  // Node stops looking for the package scope at node_modules: say here what the project's package.json says.
  writeFileSync(join(buildDir, '..', 'package.json'), '{ "type": "module" }\n');
  return 'built';
}

export interface ProcessExit {
  readonly generation: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when the test killed it. */
  readonly killed: boolean;
}

/**
 * The production process, `node dist/main.js` (built into `buildDir`), started and SIGKILLed at will. Every
 * generation appends its stdout (pino JSON) and stderr to one log file; error and fatal lines are counted by
 * message.
 */
export class BotProcess {
  private child: ChildProcess | undefined;
  private killing = false;
  private closing = false;
  private starting: Promise<void> | undefined;
  private readonly log: WriteStream;
  generation = 0;
  /** The address of the running process, or of the last one (a dead address refuses connections, as Slack sees). */
  url = 'http://127.0.0.1:9';
  running = false;
  readonly exits: ProcessExit[] = [];
  readonly errors = new Map<string, number>();

  private readonly env: Record<string, string>;
  readonly logPath: string;

  constructor(env: Record<string, string>, logPath: string) {
    this.env = env;
    this.logPath = logPath;
    this.log = createWriteStream(logPath, { flags: 'a' });
  }

  /** Starts a new generation and resolves once it listens; rejects when it exits first. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error('the bot is already running');
    this.generation += 1;
    const generation = this.generation;
    this.log.write(`--- generation ${generation} starting at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [join(buildDir, 'main.js')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let listened = false;
    child.stderr?.on('data', (chunk) => this.log.write(`[${generation} stderr] ${String(chunk)}`));
    const exited = once(child, 'exit').then(([code, signal]) => {
      this.exits.push({ generation, code, signal, killed: this.killing });
      this.log.write(`--- generation ${generation} exited (code ${code}, signal ${signal})\n`);
      if (this.child === child) {
        this.child = undefined;
        this.running = false;
      }
      // Like a supervisor: a process that stopped by itself (a crash, or a SIGTERM from outside) is started again.
      if (listened && !this.exits.at(-1)?.killed && !this.closing)
        setTimeout(() => void this.restart().catch(() => {}), 1_000);
    });
    const listening = new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        this.log.write(`[${generation}] ${line}\n`);
        let entry: { msg?: string; port?: number; level?: number };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          return;
        }
        if ((entry.level ?? 0) >= 50)
          this.errors.set(entry.msg ?? '?', (this.errors.get(entry.msg ?? '?') ?? 0) + 1);
        if (entry.msg === 'countersign is listening' && entry.port !== undefined) {
          this.url = `http://127.0.0.1:${entry.port}`;
          this.running = true;
          listened = true;
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`generation ${generation} exited before it listened`)));
    });
    await listening;
  }

  /** SIGKILL now, synchronously: for a kill aimed at a moment (a post applied, a fund call in flight). */
  killNow(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    this.killing = true;
    this.running = false;
    const exited = once(child, 'exit').then(() => {
      this.killing = false;
    });
    child.kill('SIGKILL');
    return exited;
  }

  /**
   * SIGTERM, as an orchestrator stops a pod (not restarted afterwards): resolves with how the process exited
   * and how long it took.
   */
  async terminate(): Promise<{ exit: ProcessExit; tookMs: number }> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null)
      throw new Error('the bot is not running');
    this.killing = true;
    const began = Date.now();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    this.killing = false;
    const exit = this.exits.at(-1);
    if (exit === undefined) throw new Error('the exit was not recorded');
    return { exit, tookMs: Date.now() - began };
  }

  /** Starts again until a generation listens (one that exits at start-up is counted in `exits`). */
  restart(): Promise<void> {
    const previous = this.starting ?? Promise.resolve();
    const next = previous.then(() => this.restartNow());
    this.starting = next.catch(() => {});
    return next;
  }

  private async restartNow(): Promise<void> {
    if (this.closing) return;
    await this.killNow();
    for (let tries = 0; ; tries++) {
      try {
        await this.start();
        return;
      } catch (error) {
        if (tries >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Exits the test did not cause: a crash (non-zero code) or a stop from outside (SIGTERM, code 0). */
  unexpectedExits(): ProcessExit[] {
    return this.exits.filter((exit) => !exit.killed);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.starting;
    const child = this.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      this.killing = true;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }
}
