import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openChannel, saveScreenshot, typeInSlack, useSandboxSession } from './browser.js';

/** Wider than the window means a sideways scroll: the page must fit the screen it is on. */
async function overflowX(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as Promise<number>;
}

describe.each([
  { width: 420, height: 860, label: 'a phone' },
  { width: 900, height: 900, label: 'half a laptop screen' },
])('the sandbox page at $width px ($label)', (viewport) => {
  const sessions = useSandboxSession({ viewport: { width: viewport.width, height: viewport.height } });

  it('fits without sideways scrolling and the guided path still works', async () => {
    const { page } = sessions.current;
    expect(await overflowX(page)).toBeLessThanOrEqual(0);

    await typeInSlack(page, '/fund-milestone M-1001 batch 1 is ready');
    await page.locator('#messages .msg.ephemeral', { hasText: 'Funding requested' }).waitFor();
    await openChannel(page, 'finance-approvals');
    const posted = page.locator('#messages .msg', { hasText: 'Funding approval needed' });
    await posted.waitFor();
    const card = page.locator(`#messages .msg[data-ts="${await posted.getAttribute('data-ts')}"]`);
    await card.getByRole('link', { name: 'Review & fund in OpenTrain' }).click();
    const approval = page.locator('.approval-page');
    await approval.waitFor();
    await approval.getByRole('button', { name: /^Confirm/ }).click();
    await card.locator('.b-header', { hasText: 'Milestone funded' }).waitFor({ timeout: 10_000 });

    expect(await overflowX(page)).toBeLessThanOrEqual(0);
    for (const element of [card, approval, page.getByRole('tab', { name: /Approvals/ })]) {
      const box = await element.boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(0);
      expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(viewport.width);
    }
    await card.scrollIntoViewIfNeeded();
    await saveScreenshot(page, `sandbox-${viewport.width}px`);
  });
});
