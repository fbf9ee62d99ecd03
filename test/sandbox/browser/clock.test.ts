import { describe, expect, it } from 'vitest';
import { openChannel, saveScreenshot, typeInSlack, useSandboxSession, words } from './browser.js';

describe('the sandbox page: the clock control', () => {
  const sessions = useSandboxSession();

  it('fast-forwards to a reminder DM, then past expiry, and sees the card edited to expired', async () => {
    const { page, sandbox } = sessions.current;
    // The note is untrusted text: it must show as typed, never become markup or a broadcast.
    await typeInSlack(page, '/fund-milestone M-1002 QA <b>batch</b> is ready <!channel>');
    await openChannel(page, 'finance-approvals');
    const card = page.locator('#messages .msg', { hasText: 'Funding approval needed' });
    await card.waitFor();
    expect(await card.locator('blockquote').textContent()).toBe('QA <b>batch</b> is ready <!channel>');
    expect(await card.locator('blockquote b, blockquote .mention').count()).toBe(0);
    const cardNow = page.locator(`#messages .msg[data-ts="${await card.getAttribute('data-ts')}"]`);
    const startedAt = sandbox.clock.now().getTime();

    await page.getByRole('button', { name: '+71 h' }).click();

    // The bot and the simulator moved together: the bot's clock is the page's clock.
    await page.locator('#clock-ahead', { hasText: '+71 h ahead of real time' }).waitFor();
    expect(sandbox.clock.now().getTime() - startedAt).toBeGreaterThanOrEqual(71 * 3_600_000);
    const dm = page.locator('.sidebar button.channel', { hasText: 'Countersign' });
    await dm.locator('.badge').waitFor();
    await openChannel(page, 'Countersign');
    const reminder = page.locator('#messages .msg', { hasText: 'expires in 1 hour' });
    await reminder.waitFor();
    expect(words(await reminder.textContent())).toContain('QA pass on 500 transcripts ($1,250.00)');
    await expect
      .poll(() => reminder.getByRole('link', { name: 'Review & fund in OpenTrain' }).count())
      .toBe(1);

    await page.getByRole('button', { name: '+1 h', exact: true }).click();

    await page.locator('#messages .msg', { hasText: 'expired' }).waitFor();
    await openChannel(page, 'finance-approvals');
    await cardNow.locator('.b-header', { hasText: 'Funding request expired' }).waitFor();
    expect(words(await cardNow.textContent())).toContain('without a decision. Nothing was charged.');
    expect(await cardNow.locator('.edited').textContent()).toBe('(edited)');
    expect(await cardNow.locator('a[data-action-id]').count()).toBe(0);
    await page.getByRole('tab', { name: /Approvals/ }).click();
    await page.locator('.approval-row', { hasText: 'Expired' }).waitFor();
    await saveScreenshot(page, 'sandbox-expired');
  });

  it('refuses a fast-forward it cannot read, and moves nothing', async () => {
    const { page, sandbox } = sessions.current;
    const before = sandbox.clock.now().getTime();

    await page.getByRole('textbox', { name: /Custom fast-forward/ }).fill('soon');
    await page.getByRole('button', { name: 'Go' }).click();

    const toast = page.locator('#toast', { hasText: 'Type how far to move the clock' });
    await toast.waitFor();
    expect(await toast.textContent()).toBe(
      'Type how far to move the clock, like 90m, 5h or 2d (30 days at most).',
    );
    expect(sandbox.clock.now().getTime() - before).toBeLessThan(60_000);
  });
});
