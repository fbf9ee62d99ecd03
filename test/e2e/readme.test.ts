import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, ids, startHarness, waitForCard } from './harness.js';

const run = promisify(execFile);
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const secret = 'readme-secret-0123456789abcdef';

async function hasTools(): Promise<boolean> {
  try {
    await run('bash', ['-c', 'command -v curl && command -v openssl']);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!(await hasTools()))("the README's curl example", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      UPSTREAM_SECRET: secret,
      FUND_CHANNEL: ids.financeApprovals,
      POLL_SCHEDULE: '0 0 1 1 *',
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('signs a request the bot accepts, exactly as written', async () => {
    const snippet = /```sh\n(body=.*?)```/s.exec(readme)?.[1];
    expect(snippet).toBeDefined();

    const script = (snippet ?? '').replace('https://countersign.example.com', h.service.url);
    const { stdout } = await run('bash', ['-c', script], {
      env: { ...process.env, UPSTREAM_SECRET: secret },
    });

    expect(JSON.parse(stdout)).toMatchObject({ status: 'pending', duplicate: false });
    await waitForCard(h, ids.financeApprovals);
  });
});
