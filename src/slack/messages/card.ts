import type { KnownBlock } from '@slack/types';
import { isTerminal, type TrackedApproval } from '../../domain/approval.js';
import { describeCountdown } from '../../duration.js';
import type { SlackMessage } from '../gateway.js';
import {
  approvalActions,
  approverMention,
  code,
  contextLine,
  dateToken,
  escapeAndTruncate,
  escapeText,
  link,
  mention,
  money,
  section,
  utcText,
} from './format.js';
import { outcomeSentence, reportedStatusText, statusEmoji, wordingFor } from './wording.js';

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
  if (terminal) blocks.push(section(outcomeSentence(approval)));
  else blocks.push(...approvalActions(approval, wording.button, `approval:${approval.id}`));
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
  const status = reportedStatusText(approval) ?? 'status: *pending*';
  return `${statusEmoji.pending} Expires ${dateToken(approval.expiresAt)}${timeLeft(approval, now)} · ${id} · ${status}`;
}

function fallbackText(approval: TrackedApproval, now: Date): string {
  const wording = wordingFor(approval.type);
  const subject = escapeText(shortSubject(approval));
  if (isTerminal(approval.status)) return `${wording.outcomeTitle[approval.status]}: ${subject}`;
  const reported = reportedStatusText(approval);
  return `${wording.pendingTitle}: ${subject}, expires ${utcText(approval.expiresAt)}${timeLeft(approval, now)}${reported === undefined ? '' : ` (${reported})`}`;
}

/**
 * An extra copy of a card (an uncertain post that landed twice) is turned into a pointer at the real one, so
 * only one card is ever live with a button on it.
 */
export function renderDuplicateCard(approval: TrackedApproval, realPermalink: string | null): SlackMessage {
  const where =
    realPermalink === null ? 'another message in this channel' : link(realPermalink, 'the approval card');
  const text = `This copy was posted twice by mistake; ${escapeText(shortSubject(approval))} is followed in ${where}.`;
  return { text, blocks: [contextLine(`:link: ${text} Approval ${code(approval.id)}.`)] };
}
