import { describe, expect, it } from 'vitest';
import { sandboxIds } from '../../../src/sandbox/slack/default-workspace.js';
import {
  browserTimeZone,
  emojiCharacter,
  openChannel,
  saveScreenshot,
  typeInSlack,
  useSandboxSession,
  words,
} from './browser.js';

describe('the sandbox page: the guided path', () => {
  const sessions = useSandboxSession();

  it('types the command, opens the approval from the card, confirms, and sees the card edited and the outcome DM', async () => {
    const { page, sandbox } = sessions.current;

    await typeInSlack(page, '/fund-milestone M-1001 first batch is labeled, ready to go');

    const receipt = page.locator('#messages .msg.ephemeral', {
      hasText: 'Funding requested for First labeling batch',
    });
    await receipt.waitFor();
    // One request, one private message: the acknowledgement shows nothing of its own.
    expect(await page.locator('#messages .msg.ephemeral').count()).toBe(1);
    expect(words(await receipt.locator('.only-you').textContent())).toBe('Only visible to you');
    // The bot's :white_check_mark: is drawn as a picture, which needs no emoji font.
    expect(await receipt.locator('.icon.emoji[aria-label=":white_check_mark:"] svg').count()).toBe(1);
    await page.locator('#step-1.done').waitFor();

    await openChannel(page, 'finance-approvals');
    const card = page.locator('#messages .msg', { hasText: 'Funding approval needed' });
    await card.waitFor();
    const ts = await card.getAttribute('data-ts');
    const cardNow = page.locator(`#messages .msg[data-ts="${ts}"]`);
    expect(words(await card.locator('.b-fields').textContent())).toContain('First labeling batch (M-1001)');
    expect(words(await card.locator('.mention').first().textContent())).toBe('@Bob Mercer');
    expect(await card.locator('blockquote').textContent()).toBe('first batch is labeled, ready to go');
    // The expiry is a Slack date token, drawn in the browser's own timezone.
    const expiry = card.locator('.b-context time');
    const expiresAt = new Date((await expiry.getAttribute('datetime')) ?? '');
    const inBrowserZone = new Intl.DateTimeFormat('en-US', {
      timeZone: browserTimeZone,
      hour: 'numeric',
      minute: '2-digit',
    }).format(expiresAt);
    expect(words(await expiry.textContent())).toContain(words(inBrowserZone));

    await card.getByRole('link', { name: 'Review & fund in OpenTrain' }).click();

    const approvalPage = page.locator('.approval-page');
    await approvalPage.waitFor();
    const approvalId = (await approvalPage.getAttribute('data-approval')) ?? '';
    expect(approvalId).not.toBe('');
    // Slack's block_actions for the URL button reached the bot, which audits who opened the link.
    await expect
      .poll(async () =>
        (await sandbox.service.store.audit.list({ approvalId, limit: 50 })).map((e) => e.action),
      )
      .toContain('link-opened');
    await page.locator('#step-2.done').waitFor();

    await approvalPage.getByRole('button', { name: /^Confirm/ }).click();

    await cardNow.locator('.b-header', { hasText: 'Milestone funded' }).waitFor({ timeout: 10_000 });
    expect(words(await cardNow.textContent())).toMatch(/Confirmed in OpenTrain .* invoice INV-\d+/);
    expect(await cardNow.locator('.edited').textContent()).toBe('(edited)');
    expect(await cardNow.locator('a[data-action-id]').count()).toBe(0);
    expect(await page.locator('#messages .msg').count()).toBe(1);
    await page.locator('#step-3.done').waitFor();
    await page.locator('.approval-page[data-status="confirmed"]').waitFor();

    await openChannel(page, 'Countersign');
    const outcome = page.locator('#messages .msg', {
      hasText: 'Milestone funded: First labeling batch ($300.00).',
    });
    await outcome.waitFor();
    expect(sandbox.slack.dmChannelOf(sandboxIds.bob)).toBeDefined();

    await openChannel(page, 'finance-approvals');
    // No character on the page needs an emoji font (CI's Chromium has none): every pictogram is SVG.
    expect(await page.locator('body').innerText()).not.toMatch(emojiCharacter);
    await saveScreenshot(page, 'sandbox-guided-path', { readme: true });
  });

  it('shows a slow request as one private message: the progress line, then the outcome in its place', async () => {
    const { page, sandbox } = sessions.current;
    sandbox.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1002/fund', latencyMs: 4_000 });

    await typeInSlack(page, '/fund-milestone M-1002');

    const progress = page.locator('#messages .msg.ephemeral', { hasText: 'Asking OpenTrain to fund M-1002' });
    await progress.waitFor();
    const outcome = page.locator('#messages .msg.ephemeral', { hasText: 'Funding requested' });
    await outcome.waitFor({ timeout: 15_000 });
    expect(await page.locator('#messages .msg.ephemeral').count()).toBe(1);
    expect(await progress.count()).toBe(0);
  });

  it('shows OpenTrain refusing a cancelled milestone as a private reply, and posts no card', async () => {
    const { page } = sessions.current;

    await page.getByRole('button', { name: 'M-1004 cancelled' }).click();
    await expect
      .poll(() => page.getByRole('textbox', { name: 'Message' }).inputValue())
      .toBe('/fund-milestone M-1004');
    await page.getByRole('textbox', { name: 'Message' }).press('Enter');

    const refusal = page.locator('#messages .msg.ephemeral', {
      hasText: 'was cancelled, so it cannot be funded',
    });
    await refusal.waitFor();
    expect(sessions.current.sandbox.slack.messages(sandboxIds.financeApprovals)).toEqual([]);
  });
});
