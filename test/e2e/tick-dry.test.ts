import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { effectKeys } from '../../src/domain/effects.js';
import { openStore } from '../../src/store/open-store.js';
import { latestVersion } from '../../src/store/sqlite/migrations.js';
import { runCli } from './cli.js';
import { type Harness, ids, replyContaining, startHarness, waitForCard } from './harness.js';

describe('countersign tick --dry', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('prints what the next tick would do against the store and OpenTrain, and changes nothing', async () => {
    await h.command('M-1001');
    await replyContaining(h, ids.alice, 'Funding requested');
    await waitForCard(h, ids.financeApprovals);
    await h.service.pollNow();
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    await h.stopBot();
    h.opentrain.confirm(approvalId);
    const before = await rows(h, approvalId);

    const { code, stdout } = await runCli(['tick', '--dry'], h.env);

    expect(code).toBe(0);
    expect(stdout).toContain(`end ${approvalId} as confirmed`);
    expect(stdout).toContain(`card:${approvalId}`);
    expect(stdout).toMatch(/move the feed cursor from .+ to \d+/);
    expect(stdout).toContain('Nothing was changed.');
    expect(await rows(h, approvalId)).toEqual(before);
  });

  it('refuses to run a tick that acts, which is the service’s job', async () => {
    const { code, stderr } = await runCli(['tick'], h.env);

    expect(code).toBe(2);
    expect(stderr).toContain('tick --dry');
  });
});

/** What a dry tick must not touch: the approval, the cursor, the queue (read with the bot stopped). */
async function rows(h: Harness, approvalId: string) {
  const store = await openStore(loadConfig(h.env).database);
  try {
    const saved = JSON.parse((await store.state.get('slack-identity')) ?? '{}') as { teamId?: string };
    const approval = await store.approvals.get(approvalId);
    const cursor = await store.cursors.get(saved.teamId ?? '', 'opentrain-updates');
    const card = await store.outbox.find(effectKeys.card(approvalId));
    return { status: approval?.status, version: approval?.version, cursor, card: card?.state };
  } finally {
    await store.close();
  }
}

describe('countersign status and migrate', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('shows pending approvals, the queue, the poller and the cursor, for people and for scripts', async () => {
    await h.command('M-1001');
    await replyContaining(h, ids.alice, 'Funding requested');
    await h.service.pollNow();

    const text = await runCli(['status'], h.env);
    const json = await runCli(['status', '--json'], h.env);

    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Approvals:   1 pending');
    expect(text.stdout).toMatch(/Poller: +last tick \d+ s ago/);
    expect(JSON.parse(json.stdout)).toMatchObject({
      approvals: { pending: 1 },
      queue: { pending: expect.any(Number) },
      poller: { lastTickAt: expect.any(String) },
    });
  });

  it('migrates the database, and says when there is nothing to do', async () => {
    await h.stopBot();
    const fresh = { ...h.env, DATABASE_URL: `${h.env.DATABASE_URL}.fresh` };

    const first = await runCli(['migrate'], fresh);
    const again = await runCli(['migrate'], fresh);

    expect(first.code).toBe(0);
    expect(first.stdout).toContain('applied 1:');
    expect(first.stdout).toContain(`now at schema version ${latestVersion}`);
    expect(again.stdout).toContain(`is up to date (schema version ${latestVersion})`);
  });
});
