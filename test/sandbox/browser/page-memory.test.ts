import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { startSandbox } from '../../../src/sandbox/start-sandbox.js';
import { launchChromium, openChannel, saveScreenshot, typeInSlack, useSandboxSession } from './browser.js';

describe('the sandbox page: what it remembers', () => {
  const sessions = useSandboxSession();

  it('keeps unread badges across a reload of the same sandbox', async () => {
    const { page } = sessions.current;
    await typeInSlack(page, '/fund-milestone M-1001');
    const finance = page.locator('.sidebar button.channel', { hasText: 'finance-approvals' });
    await finance.locator('.badge', { hasText: '1' }).waitFor();

    await page.reload();
    await page.locator('#connection[data-status="live"]').waitFor();

    await finance.locator('.badge', { hasText: '1' }).waitFor();
    await openChannel(page, 'finance-approvals');
    expect(await finance.locator('.badge').count()).toBe(0);
    await page.reload();
    await page.locator('#connection[data-status="live"]').waitFor();
    await openChannel(page, 'project-x');
    expect(await finance.locator('.badge').count()).toBe(0);
  });
});

describe('the sandbox page: a sandbox that stops and starts again', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('says it stopped, clears that by itself on reconnecting, and says the restart went back to the seed', async () => {
    const log = createLogger({ level: 'silent' });
    const first = await startSandbox({ env: {}, log });
    const port = Number(new URL(first.url).port);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    let second: Awaited<ReturnType<typeof startSandbox>> | undefined;
    try {
      await page.goto(first.url);
      await page.locator('#connection[data-status="live"]').waitFor();
      await typeInSlack(page, '/fund-milestone M-1001');
      await page.locator('#messages .msg.ephemeral', { hasText: 'Funding requested' }).waitFor();

      await first.close();
      await typeInSlack(page, '/fund-milestone M-1002');

      const banner = page.locator('#banner[data-kind="down"]');
      await banner.waitFor();
      expect(await banner.textContent()).toContain('The sandbox is not answering: it may have stopped.');
      expect(await page.locator('#composer-hint').textContent()).toContain('not answering');
      expect(await page.locator('#composer-hint').textContent()).not.toContain('Failed to fetch');
      await page.locator('#connection[data-status="down"]', { hasText: 'sandbox stopped' }).waitFor();

      second = await startSandbox({ env: {}, log, port });

      await page.locator('#connection[data-status="live"]').waitFor({ timeout: 10_000 });
      const restarted = page.locator('#banner[data-kind="restarted"]');
      await restarted.waitFor();
      expect(await restarted.textContent()).toContain('The sandbox restarted, so everything started over');
      expect(await page.locator('#composer-hint').textContent()).toBe('');
      expect(await page.locator('#messages .msg').count()).toBe(0);
      await saveScreenshot(page, 'sandbox-restarted');
      await restarted.getByRole('button', { name: 'OK' }).click();
      expect(await page.locator('#banner').isVisible()).toBe(false);
    } finally {
      await context.close();
      await first.close();
      await second?.close();
    }
  });
});
