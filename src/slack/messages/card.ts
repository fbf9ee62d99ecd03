import type { KnownBlock } from '@slack/types';
import { isTerminal, type TrackedApproval } from '../../approvals/types.js';
import { describeCountdown } from '../../duration.js';
import type { SlackMessage } from '../gateway.js';
import {
  approverMention,
  code,
  dateToken,
  escapeAndTruncate,
  escapeText,
  mention,
  money,
  utcText,
} from './format.js';
import { statusEmoji, wordingFor } from './wording.js';

export const openApprovalActionId = 'open_approval';

/** The one card per approval: posted when tracking starts, edited in place on every change. */
export function renderCard(approval: TrackedApproval, now: Date): SlackMessage {
  const wording = wordingFor(approval.type);
  const terminal = isTerminal(approval.status);
  const title = terminal ? wording.outcomeTitle[approval.status] : wording.pendingTitle;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `${title}`.slice(0, 150), emoji: true } },
    factsSection(approval),
  ];
  const request = requestLine(approval);
  if (request !== undefined) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: request } });
  if (terminal) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: outcomeLine(approval) } });
  } else if (approval.approvalUrl.length <= 3_000) {
    blocks.push({
      type: 'actions',
      block_id: `approval:${approval.id}`.slice(0, 255),
      elements: [
        {
          type: 'button',
          action_id: openApprovalActionId,
          text: { type: 'plain_text', text: wording.button.slice(0, 75) },
          url: approval.approvalUrl,
          value: approval.id.slice(0, 2_000),
          style: 'primary',
        },
      ],
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: statusLine(approval, now) }] });
  return { text: fallbackText(approval, now), blocks };
}

/** What the money is for, in one section: milestone, amount, contract and trainer when known. */
export function factsSection(approval: TrackedApproval): KnownBlock {
  const context = approval.context;
  const fields: string[] = [];
  const milestone = milestoneLabel(approval);
  if (milestone !== undefined) fields.push(`*Milestone*\n${milestone}`);
  if (context?.amountUsd != null) fields.push(`*Amount*\n${money(context.amountUsd)}`);
  if (context?.contractTitle) fields.push(`*Contract*\n${escapeAndTruncate(context.contractTitle, 300)}`);
  if (context?.freelancerName) fields.push(`*AI trainer*\n${escapeAndTruncate(context.freelancerName, 200)}`);
  if (fields.length === 0) {
    return {
      type: 'section',
      text: { type: 'mrkdwn', text: `*${wordingFor(approval.type).noun}* · approval ${code(approval.id)}` },
    };
  }
  return { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) };
}

export function milestoneLabel(approval: TrackedApproval): string | undefined {
  const name = approval.context?.milestoneName;
  if (name) return `${escapeAndTruncate(name, 300)} (${code(approval.milestoneId ?? '?')})`;
  return approval.milestoneId === null ? undefined : code(approval.milestoneId);
}

/**
 * "First labeling batch ($1,250.00)" or "milestone M-1001": a short plain-text name for notifications,
 * capped so that messages built around it stay well inside Slack's 3,000-character section limit.
 */
export function shortSubject(approval: TrackedApproval): string {
  const name =
    approval.context?.milestoneName ??
    (approval.milestoneId ? `milestone ${approval.milestoneId}` : undefined);
  const amount = approval.context?.amountUsd;
  const subject = truncatePlain(name ?? `approval ${approval.id}`, 150);
  return amount == null ? subject : `${subject} (${money(amount)})`;
}

function truncatePlain(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function requestLine(approval: TrackedApproval): string | undefined {
  const who =
    approval.requester.kind === 'slack'
      ? `Requested by ${mention(approval.requester.userId)}`
      : `Requested by ${escapeAndTruncate(approval.requester.name, 100)}`;
  const approvers =
    approval.approvers.length === 0
      ? ''
      : ` · approvers: ${approval.approvers.slice(0, 20).map(approverMention).join(' ')}`;
  const head = `${who}${approvers}`;
  if (approval.note === null || approval.note === '') return head;
  return `${head}\n>${escapeAndTruncate(approval.note, 1_000).replace(/\n/g, '\n>')}`;
}

/** One line on how an ended approval ended, for the card and its thread. */
export function outcomeLine(approval: TrackedApproval): string {
  const when = approval.resolvedAt === null ? '' : ` ${dateToken(approval.resolvedAt)}`;
  switch (approval.status) {
    case 'confirmed': {
      const invoice = approval.result?.invoiceId;
      const invoiceText = typeof invoice === 'string' ? ` · invoice ${code(invoice)}` : '';
      return `${statusEmoji.confirmed} *${wordingFor(approval.type).confirmedLine}.* Confirmed in OpenTrain${when}${invoiceText}.`;
    }
    case 'declined':
      return `${statusEmoji.declined} *Declined* in OpenTrain${when}. Nothing was charged.`;
    case 'expired': {
      const retry =
        approval.type === 'milestone_fund' && approval.milestoneId !== null
          ? ` Run ${code(`/fund-milestone ${approval.milestoneId}`)} to ask again.`
          : '';
      return `${statusEmoji.expired} *Expired*${when} without a decision. Nothing was charged.${retry}`;
    }
    case 'pending':
      return '';
  }
}

/**
 * When an approval's "(in N hours)" goes stale and what shows it (its card, App Home) should be re-rendered
 * with the new figure (or, at expiry, none); null once there is nothing left to count down.
 */
export function countdownRefreshAt(approval: TrackedApproval, now: Date): Date | null {
  const left = approval.expiresAt.getTime() - now.getTime();
  if (isTerminal(approval.status) || left <= 0) return null;
  // At 0 the countdown gives way to the bare expiry date until the poller reads the approval as expired.
  return new Date(approval.expiresAt.getTime() - describeCountdown(left).changesAtMsLeft);
}

/**
 * " (in 23 hours)" while time is left, on the card and on App Home; both are re-rendered whenever the figure
 * changes (countdownRefreshAt).
 */
export function timeLeft(approval: TrackedApproval, now: Date): string {
  const left = approval.expiresAt.getTime() - now.getTime();
  return left > 0 ? ` (in ${describeCountdown(left).text})` : '';
}

function statusLine(approval: TrackedApproval, now: Date): string {
  const id = `Approval ${code(approval.id)}`;
  if (isTerminal(approval.status)) return `${id} · status: *${approval.status}*`;
  return `${statusEmoji.pending} Expires ${dateToken(approval.expiresAt)}${timeLeft(approval, now)} · ${id} · status: *pending*`;
}

function fallbackText(approval: TrackedApproval, now: Date): string {
  const wording = wordingFor(approval.type);
  const subject = escapeText(shortSubject(approval));
  if (isTerminal(approval.status)) return `${wording.outcomeTitle[approval.status]}: ${subject}`;
  return `${wording.pendingTitle}: ${subject}, expires ${utcText(approval.expiresAt)}${timeLeft(approval, now)}`;
}
