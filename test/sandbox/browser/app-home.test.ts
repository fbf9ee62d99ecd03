import { describe, expect, it } from 'vitest';
import { sandboxIds } from '../../../src/sandbox/slack/default-workspace.js';
import { openChannel, saveScreenshot, typeInSlack, useSandboxSession, words } from './browser.js';

describe('the sandbox page: the Countersign app', () => {
  const sessions = useSandboxSession();

  it('opens on Messages, read-only as the manifest sets it: no composer, Slack-like wording', async () => {
    const { page } = sessions.current;

    await openChannel(page, 'Countersign');

    await expect.poll(() => page.getByRole('textbox', { name: 'Message' }).isVisible()).toBe(false);
    expect(await page.locator('#read-only').textContent()).toContain(
      'Sending messages to this app has been turned off.',
    );
    expect(await page.getByRole('tab', { name: 'Messages' }).getAttribute('aria-selected')).toBe('true');

    await openChannel(page, 'project-x');
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
    expect(await page.locator('#read-only').isVisible()).toBe(false);
  });

  it('sends the signed app_home_opened on opening Home, and draws the view the bot published', async () => {
    const { page, sandbox } = sessions.current;
    await typeInSlack(page, '/fund-milestone M-1002 QA done');
    await page.locator('#messages .msg.ephemeral', { hasText: 'Funding requested' }).waitFor();
    await openChannel(page, 'Countersign');

    await page.getByRole('tab', { name: 'Home' }).click();

    const home = page.getByRole('tabpanel', { name: 'Countersign Home' });
    await home.locator('.b-header', { hasText: 'OpenTrain approvals' }).waitFor();
    const pending = home.locator('.b-section', { hasText: 'QA pass on 500 transcripts' });
    await pending.waitFor();
    // The bot received Slack's event (verified its signature) and answered with views.publish for Bob.
    const publish = await sandbox.slack.waitForCall('views.publish');
    expect(publish.args).toMatchObject({ user_id: sandboxIds.bob });
    expect(sandbox.slack.homeView(sandboxIds.bob)).toBeDefined();
    expect(
      (await page.locator('.traffic-list code', { hasText: 'app_home_opened' }).allTextContents()).length,
    ).toBeGreaterThan(0);
    expect(await page.locator('#composer').isVisible()).toBe(false);
    await saveScreenshot(page, 'sandbox-app-home');

    await pending.getByRole('link', { name: 'Review' }).click();

    await page.locator('.approval-page', { hasText: 'QA pass on 500 transcripts' }).waitFor();
    expect(words(await page.locator('.approval-page .eyebrow').textContent())).toMatch(
      /^Approval request · A-/,
    );
  });
});
