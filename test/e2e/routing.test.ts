import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  botMessages,
  type Harness,
  ids,
  opentrainCalls,
  replyContaining,
  startHarness,
  waitForCard,
} from './harness.js';

const labeling = 'C0LABELING';

describe('routes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      FUND_CHANNEL: ids.financeApprovals,
      ADMIN_USERS: ids.alice,
      POLL_SCHEDULE: '0 0 1 1 *',
    });
    h.slack.addChannel({
      id: labeling,
      name: 'labeling',
      members: [ids.alice, ids.bob, ids.dan],
      botIsMember: true,
    });
  });
  afterEach(async () => {
    await h.close();
  });

  async function admin(text: string, expected: string): Promise<string> {
    await h.command(text, { userId: ids.alice });
    return replyContaining(h, ids.alice, expected);
  }

  it('sends a card by contract route, then job route, then FUND_CHANNEL, then the invoking channel', async () => {
    await h.command('M-1001', { userId: ids.bob, channelId: ids.projectX });
    await waitForCard(h, ids.financeApprovals, (text) => text.includes('M-1001'));

    await admin(`route set J-200 <#${ids.projectX}|project-x>`, 'Route saved');
    await h.command('M-1002', { userId: ids.bob, channelId: labeling });
    await waitForCard(h, ids.projectX, (text) => text.includes('M-1002'));

    await admin(`route set contract:C-502 <#${labeling}|labeling>`, 'Route saved: contract `C-502`');
    const approval = h.opentrain.snapshot().approvals.find((a) => a.milestoneId === 'M-1002');
    h.opentrain.decline(approval?.id ?? '');
    await h.service.pollNow();
    await h.command('M-1002', { userId: ids.bob, channelId: ids.projectX });
    await waitForCard(h, labeling, (text) => text.includes('M-1002'));

    const decisions = (await h.service.store.audit.list({ milestoneId: 'M-1002', limit: 20 }))
      .filter((entry) => entry.action === 'requested')
      .map((entry) => entry.detail?.via);
    expect(decisions).toEqual(['contract-route', 'job-route']);
  });

  it('lets an admin set, list and remove routes, recognising jobs and contracts by asking OpenTrain', async () => {
    const job = await admin(
      `route set J-100 <#${labeling}|labeling> <@${ids.bob}|bob> <!subteam^${ids.financeGroup}|@finance> autofund`,
      'Route saved: job `J-100`',
    );
    expect(job).toContain(`<#${labeling}>`);
    expect(job).toContain(`<@${ids.bob}> <!subteam^${ids.financeGroup}>`);
    expect(job).toContain('*autofund*');
    await admin(
      `route set C-502 <#${ids.projectX}>`,
      'Route saved: contract `C-502` (Medical Transcript QA Contract)',
    );

    const list = await admin('route list', '*Routes*');
    expect(list).toContain('job `J-100`');
    expect(list).toContain('contract `C-502`');
    expect(list).toContain(`<#${ids.financeApprovals}> (FUND_CHANNEL)`);

    await admin('route remove J-100', 'Route removed: job `J-100`');
    expect(
      (await h.service.store.routes.list(h.service.useCases.workspaceId)).map((route) => route.targetId),
    ).toEqual(['C-502']);
    const audit = (await h.service.store.audit.list({ limit: 20 })).map(
      (entry) => `${entry.actor} ${entry.action}`,
    );
    expect(audit).toEqual(
      expect.arrayContaining([`slack:${ids.alice} route-set`, `slack:${ids.alice} route-removed`]),
    );
  });

  it("mentions the route's approvers on the card", async () => {
    await admin(`route set J-100 <#${labeling}> <@${ids.bob}> <!subteam^${ids.financeGroup}>`, 'Route saved');

    await h.command('M-1001', { userId: ids.dan, channelId: labeling });

    const card = await waitForCard(h, labeling);
    expect(JSON.stringify(card.blocks)).toContain(`approvers: <@${ids.bob}> <!subteam^${ids.financeGroup}>`);
  });

  it('refuses route changes from anyone not in ADMIN_USERS, and audits the refusal', async () => {
    await h.command(`route set J-100 <#${labeling}>`, { userId: ids.bob });

    const reply = await replyContaining(h, ids.bob, 'Only Countersign admins can change routes');

    expect(reply).toContain(`<@${ids.alice}>`);
    expect(await h.service.store.routes.list(h.service.useCases.workspaceId)).toEqual([]);
    const [refusal] = await h.service.store.audit.list({ limit: 1 });
    expect(refusal).toMatchObject({ actor: `slack:${ids.bob}`, action: 'route-change-refused' });
  });

  it('explains an unknown job or contract and a channel given by name', async () => {
    await admin(`route set J-404 <#${labeling}>`, 'OpenTrain has no job or contract `J-404`');
    await admin('route set J-100 #labeling', 'Name the channel as a mention');

    expect(await h.service.store.routes.list(h.service.useCases.workspaceId)).toEqual([]);
  });
});

describe('who may request funding', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      REQUESTER_USERS: ids.dan,
      REQUESTER_USERGROUPS: ids.financeGroup,
      POLL_SCHEDULE: '0 0 1 1 *',
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it('lets listed people and members of listed user groups request', async () => {
    await h.command('M-1001', { userId: ids.alice });
    await h.command('M-1002', { userId: ids.dan, channelId: ids.projectX });

    await waitForCard(h, ids.financeApprovals);
    await waitForCard(h, ids.projectX);
  });

  it('refuses everyone else with a clear message, sends nothing upstream, and audits the refusal', async () => {
    const ack = await h.command('M-1001', { userId: ids.bob });

    expect(ack.body).toContain('You are not on the list of people who may request funding');
    expect(ack.body).toContain(`<@${ids.dan}>`);
    expect(ack.body).toContain(`<!subteam^${ids.financeGroup}>`);
    expect(opentrainCalls(h, 'POST', '/')).toEqual([]);
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);
    const [refusal] = await h.service.store.audit.list({ milestoneId: 'M-1001', limit: 1 });
    expect(refusal).toMatchObject({ actor: `slack:${ids.bob}`, action: 'request-refused' });
  });

  it('fails closed, asking to retry, when Slack cannot say who is in the group', async () => {
    h.slack.injectFault({ method: 'usergroups.users.list', status: 500 });

    const ack = await h.command('M-1001', { userId: ids.carol });

    expect(ack.body).toContain('could not check with Slack');
    expect(opentrainCalls(h, 'POST', '/')).toEqual([]);
  });
});

describe('history', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('shows the requester who did what to a milestone, and when', async () => {
    await h.command('M-1001 batch 1');
    await waitForCard(h, ids.financeApprovals);
    const approval = h.opentrain.snapshot().approvals[0];
    h.opentrain.confirm(approval?.id ?? '');
    await h.service.pollNow();

    const ack = await h.command('history M-1001', { userId: ids.bob });

    expect(ack.body).toContain('History of milestone `M-1001`');
    for (const line of [
      `<@${ids.alice}> requested funding`,
      'Countersign posted the card',
      'OpenTrain reports it confirmed',
    ]) {
      expect(ack.body).toContain(line);
    }
    expect(ack.body.indexOf('requested funding')).toBeLessThan(ack.body.indexOf('reports it confirmed'));

    // Approvals of other types have no milestone: their id works too.
    const byApproval = await h.command(`history ${approval?.id}`, { userId: ids.bob });
    expect(byApproval.body).toContain(`History of approval \`${approval?.id}\``);
    expect(byApproval.body).toContain('OpenTrain reports it confirmed');
    const unknown = await h.command('history M-4040', { userId: ids.bob });
    expect(unknown.body).toContain('Nothing is recorded for a milestone or approval `M-4040`');
  });
});
