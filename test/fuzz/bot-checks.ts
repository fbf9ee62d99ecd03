import type { ApiCall } from '../../src/sandbox/slack/types.js';
import type { Harness } from '../e2e/harness.js';
import { openTrainIdPattern } from '../helpers/fuzz.js';
import { type MarkupAllowance, slackMessageProblems } from '../helpers/slack-output.js';

/*
 * What the real bot did, judged from what the stand-ins received: every id it sent OpenTrain, and every
 * message it sent Slack.
 */

/** Ids in OpenTrain request paths (and the jobId query) that are not OpenTrain ids, as `METHOD path`. */
export function uncheckedOpenTrainIds(h: Harness): string[] {
  const problems: string[] = [];
  for (const request of h.opentrain.requests) {
    const segments = request.path.split('/');
    segments.forEach((segment, at) => {
      if (!['milestones', 'approvals', 'contracts'].includes(segments[at - 1] ?? '')) return;
      let id: string;
      try {
        id = decodeURIComponent(segment);
      } catch {
        id = segment;
      }
      if (!openTrainIdPattern.test(id)) problems.push(`${request.method} ${request.path}`);
    });
    const jobId = new URLSearchParams(request.query).get('jobId');
    if (jobId !== null && !openTrainIdPattern.test(jobId))
      problems.push(`${request.method} ${request.path}?${request.query}`);
  }
  return problems;
}

/** Who and what the bot may mention or link to: the workspace's people, groups and channels, and the stand-ins. */
export function workspaceAllowance(h: Harness): MarkupAllowance {
  const snapshot = h.slack.snapshot();
  return {
    users: [...snapshot.users.map((user) => user.id), snapshot.botUserId],
    usergroups: snapshot.usergroups.map((group) => group.id),
    channels: snapshot.channels.map((channel) => channel.id),
    linkPrefixes: [`${h.opentrain.origin ?? 'https://app.opentrain.ai'}/`, `${h.slack.origin}/`],
  };
}

const messageMethods = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'response_url']);

/**
 * Every message the bot sent Slack since call `afterSeq`, with what is wrong with it: over Slack's limits
 * (whether Slack then refused it or not), or carrying markup the bot did not make.
 */
export function slackMessageFaults(
  h: Harness,
  afterSeq = 0,
  /** People the input named on purpose (an upstream requestedBy that is a member id). */
  alsoUsers: readonly string[] = [],
): { call: string; problems: string[] }[] {
  const workspace = workspaceAllowance(h);
  const allowed = { ...workspace, users: [...(workspace.users ?? []), ...alsoUsers] };
  const faults: { call: string; problems: string[] }[] = [];
  for (const call of h.slack.calls) {
    if (call.seq <= afterSeq) continue;
    const problems = problemsOf(call, allowed);
    if (problems.length > 0) faults.push({ call: `${call.seq} ${call.method}`, problems });
  }
  return faults;
}

function problemsOf(call: ApiCall, allowed: MarkupAllowance): string[] {
  const refused = (call.response.body as { error?: unknown } | undefined)?.error;
  const tooBig =
    refused === 'invalid_blocks' || refused === 'msg_blocks_too_long' || refused === 'msg_too_long';
  const problems = tooBig ? [`Slack refused it: ${String(refused)}`] : [];
  if (messageMethods.has(call.method) && call.args.delete_original !== true) {
    problems.push(...slackMessageProblems(call.args, { allowed }));
  }
  if (call.method === 'views.publish') {
    const view = call.args.view as { blocks?: unknown } | undefined;
    problems.push(
      ...slackMessageProblems({ text: 'Home', blocks: view?.blocks }, { surface: 'home', allowed }),
    );
  }
  return problems;
}

/** The highest call number so far, to judge only what a run caused. */
export function lastCallSeq(h: Harness): number {
  return h.slack.calls.at(-1)?.seq ?? 0;
}
