import type { ApprovalType, TerminalStatus, TrackedApproval } from '../../domain/approval.js';
import { code, dateToken } from './format.js';
import { cut } from './limits.js';

export interface TypeWording {
  /** "funding": what is being approved, as a noun. */
  readonly noun: string;
  readonly pendingTitle: string;
  readonly outcomeTitle: Readonly<Record<TerminalStatus, string>>;
  readonly button: string;
  /** What happened when it was confirmed, after "✅ ". */
  readonly confirmedLine: string;
}

const wordings: Readonly<Record<string, TypeWording>> = {
  milestone_fund: {
    noun: 'funding',
    pendingTitle: 'Funding approval needed',
    outcomeTitle: {
      confirmed: 'Milestone funded',
      declined: 'Funding declined',
      expired: 'Funding request expired',
    },
    button: 'Review & fund in OpenTrain',
    confirmedLine: 'Funded: the money is in escrow',
  },
  milestone_approve: {
    noun: 'payment release',
    pendingTitle: 'Payment release approval needed',
    outcomeTitle: {
      confirmed: 'Payment released',
      declined: 'Release declined',
      expired: 'Release request expired',
    },
    button: 'Review & release in OpenTrain',
    confirmedLine: 'Released: the trainer is being paid',
  },
  proposal_hire: {
    noun: 'hire',
    pendingTitle: 'Hire approval needed',
    outcomeTitle: { confirmed: 'Trainer hired', declined: 'Hire declined', expired: 'Hire request expired' },
    button: 'Review & hire in OpenTrain',
    confirmedLine: 'Hired: the contract has started',
  },
  contract_end: {
    noun: 'contract end',
    pendingTitle: 'Approval needed to end a contract',
    outcomeTitle: {
      confirmed: 'Contract ended',
      declined: 'Contract end declined',
      expired: 'Contract end request expired',
    },
    button: 'Review in OpenTrain',
    confirmedLine: 'Ended: the contract is closed',
  },
};

const generic: TypeWording = {
  noun: 'approval',
  pendingTitle: 'OpenTrain approval needed',
  outcomeTitle: { confirmed: 'Approved', declined: 'Declined', expired: 'Approval expired' },
  button: 'Review in OpenTrain',
  confirmedLine: 'Approved',
};

export function wordingFor(type: ApprovalType): TypeWording {
  // OpenTrain names the type: an own key only, so "constructor" or "__proto__" is worded generically too.
  return Object.hasOwn(wordings, type) ? (wordings[type] ?? generic) : generic;
}

export const statusEmoji: Readonly<Record<TerminalStatus | 'pending', string>> = {
  pending: ':hourglass_flowing_sand:',
  confirmed: ':white_check_mark:',
  declined: ':x:',
  expired: ':alarm_clock:',
};

/**
 * A pending approval OpenTrain reports under a status word Countersign does not know, in neutral words: it
 * neither claims an outcome nor calls it an error. Undefined for every other approval.
 */
export function reportedStatusText(approval: TrackedApproval): string | undefined {
  if (approval.status !== 'pending' || approval.reportedStatus === null) return undefined;
  return `OpenTrain reports status ${code(approval.reportedStatus)}; still following it`;
}

/**
 * How an ended approval ended, in one sentence: the single source of outcome wording for the card, its thread
 * and the requester's DM. With `subject`, the sentence names what was approved (for messages read alone).
 */
export function outcomeSentence(approval: TrackedApproval, options: { subject?: string } = {}): string {
  const wording = wordingFor(approval.type);
  const when = approval.resolvedAt === null ? '' : ` ${dateToken(approval.resolvedAt)}`;
  const { subject } = options;
  switch (approval.status) {
    case 'confirmed': {
      const invoice = approval.result?.invoiceId;
      // The invoice id is OpenTrain's: capped, so an odd answer cannot push the sentence past 3,000 characters.
      const invoiceText = typeof invoice === 'string' ? ` · invoice ${code(cut(invoice, 100))}` : '';
      const headline =
        subject === undefined ? wording.confirmedLine : `${wording.outcomeTitle.confirmed}: ${subject}`;
      return `${statusEmoji.confirmed} *${headline}.* Confirmed in OpenTrain${when}${invoiceText}.`;
    }
    case 'declined': {
      const headline =
        subject === undefined ? 'Declined' : `The ${wording.noun} request for ${subject} was declined`;
      return `${statusEmoji.declined} *${headline}* in OpenTrain${when}. Nothing was charged.`;
    }
    case 'expired': {
      const headline =
        subject === undefined ? 'Expired' : `The ${wording.noun} request for ${subject} expired`;
      const retry =
        approval.type === 'milestone_fund' && approval.milestoneId !== null
          ? ` Run ${code(`/fund-milestone ${approval.milestoneId}`)} to ask again.`
          : '';
      return `${statusEmoji.expired} *${headline}*${when} without a decision. Nothing was charged.${retry}`;
    }
    case 'pending':
      return '';
  }
}
