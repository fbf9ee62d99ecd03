import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { root } from './cli.js';
import { type Harness, ids, startHarness } from './harness.js';

/** Starts the production process the way a container or an operator does, and resolves once it listens. */
async function launch(command: readonly string[], env: Record<string, string>) {
  const [file = '', ...args] = command;
  const child = spawn(file, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const logs: string[] = [];
  for await (const line of lines) {
    if (!line.startsWith('{')) continue; // npm's own banner
    logs.push(line);
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    if (entry.msg === 'countersign is listening') {
      lines.on('line', (more) => logs.push(more));
      return { child, url: `http://127.0.0.1:${entry.port}`, logs };
    }
  }
  throw new Error(`${command.join(' ')} exited before it listened`);
}

describe.each([
  ['node dist/main.js', ['node', 'dist/main.js']],
  ['npm start', ['npm', 'start', '--silent']],
])('a graceful shutdown of %s', (_label, command) => {
  let h: Harness;
  let child: ChildProcess | undefined;
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' });
  });
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '*/1 * * * * *' }, { startBot: false });
  });
  afterEach(async () => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    await h.close();
  });

  it('says not ready at once, still records a command that arrives, and exits 0 within 10 s', async () => {
    const bot = await launch(command, h.env);
    child = bot.child;
    const exited = once(bot.child, 'exit');
    const began = Date.now();

    bot.child.kill('SIGTERM');
    // The listener keeps answering through the drain: readiness says no, and a command is still taken.
    const ready = await waitForStatus(`${bot.url}/readyz`, 503);
    const ack = await h.slack.sendCommand({
      appUrl: `${bot.url}/slack/events`,
      text: 'M-1001',
      userId: ids.alice,
      channelId: ids.financeApprovals,
    });
    const [code] = (await exited) as [number | null];

    expect(ready).toMatchObject({ ok: false, stopping: true });
    expect(ack.body).toBe('');
    expect(code).toBe(0);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(bot.logs.some((line) => line.includes('countersign stopped'))).toBe(true);
    // Recorded, not carried out by the replica that is leaving: the next one (or another) does it.
    expect(h.opentrain.requests.filter((request) => request.path.endsWith('/fund'))).toEqual([]);
    const next = await h.startBot();
    await h.slack.waitUntil(() =>
      h.slack.messages(ids.financeApprovals).find((message) => message.user === ids.botUser),
    );
    await next.stop();
  }, 30_000);
});

async function waitForStatus(url: string, status: number): Promise<unknown> {
  for (;;) {
    const response = await fetch(url).catch(() => undefined);
    if (response?.status === status) return response.json();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
