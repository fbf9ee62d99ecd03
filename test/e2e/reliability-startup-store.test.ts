import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './cli.js';
import { type Harness, startHarness } from './harness.js';

/**
 * Root may write anywhere, whatever the mode bits say; as root (CI, this machine), the bot runs as `nobody`
 * so that a read-only file or folder really is read-only to it.
 */
const asUser =
  process.getuid?.() === 0 ? { uid: 65_534, gid: 65_534 } : ({} as { uid?: number; gid?: number });

/**
 * As root, the checkout must be readable by `nobody` for that: one cloned into a private folder (mktemp -d makes
 * it 0700) is not, and there these tests cannot make a path read-only to the bot at all, so they say so and skip.
 */
const nobodyCanRead =
  asUser.uid === undefined ||
  spawnSync(process.execPath, ['-e', "require('node:fs').readFileSync('package.json')"], {
    cwd: root,
    stdio: 'ignore',
    ...asUser,
  }).status === 0;
if (!nobodyCanRead) {
  console.warn(
    `reliability-startup-store: skipped; running as root, and user nobody cannot read ${root} (make its folders world-readable to run these)`,
  );
}

async function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    // tsx keeps its cache in the temp dir, per user: nothing the bot's user cannot write.
    env: { PATH: process.env.PATH ?? '', ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...asUser,
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    output += String(chunk);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

// Issue 9: a read-only volume, a read-only DB file or a missing directory at start-up exited with an uncaught
// SqliteError stack trace. One line naming the path and the fix.
describe.skipIf(!nobodyCanRead)('starting on a database path it cannot write', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await startHarness({}, { startBot: false });
    dir = mkdtempSync(join(tmpdir(), 'countersign-readonly-'));
    chmodSync(dir, 0o755);
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function expectOneLineNaming(result: { code: number | null; output: string }, path: string) {
    expect(result.code).toBe(1);
    const lines = result.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '{}') as { msg?: string; err?: unknown; stack?: unknown };
    expect(entry.msg).toContain(path);
    expect(entry.msg).toMatch(/writable/);
    expect(entry.msg).toContain('DATABASE_URL');
    expect(entry.err).toBeUndefined();
    expect(result.output).not.toMatch(/SqliteError|\n\s+at |\\n\s+at /);
  }

  it('names a read-only database file and the fix', async () => {
    const folder = join(dir, 'file-ro');
    mkdirSync(folder);
    const path = join(folder, 'countersign.db');
    const db = new BetterSqlite3(path);
    db.exec('CREATE TABLE t (x INTEGER)');
    db.close();
    chmodSync(path, 0o444);
    chmodSync(folder, 0o777);

    const result = await runMain({ ...h.env, DATABASE_URL: `sqlite:${path}` });

    expectOneLineNaming(result, path);
  });

  it('names a read-only folder and the fix', async () => {
    const folder = join(dir, 'folder-ro');
    mkdirSync(folder);
    chmodSync(folder, 0o555);
    const path = join(folder, 'countersign.db');

    const result = await runMain({ ...h.env, DATABASE_URL: `sqlite:${path}` });

    expectOneLineNaming(result, path);
  });

  it('names a missing folder it cannot create, and the fix', async () => {
    const parent = join(dir, 'parent-ro');
    mkdirSync(parent);
    chmodSync(parent, 0o555);
    const path = join(parent, 'missing', 'deeper', 'countersign.db');

    const result = await runMain({ ...h.env, DATABASE_URL: `sqlite:${path}` });

    expectOneLineNaming(result, path);
  });
});
