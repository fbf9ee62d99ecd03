import { describeCountdown } from '../duration.js';
import { type Approval, isTerminal } from './approval.js';

/**
 * When an approval's "(in N hours)" goes stale and what shows it (its card, App Home) should be re-rendered
 * with the new figure (or, at expiry, none); null once there is nothing left to count down.
 */
export function countdownRefreshAt(approval: Pick<Approval, 'status' | 'expiresAt'>, now: Date): Date | null {
  const left = approval.expiresAt.getTime() - now.getTime();
  if (isTerminal(approval.status) || left <= 0) return null;
  // At 0 the countdown gives way to the bare expiry date until the poller reads the approval as expired.
  return new Date(approval.expiresAt.getTime() - describeCountdown(left).changesAtMsLeft);
}

/** The earliest of several refresh moments, or null when none of them will go stale. */
export function earliest(moments: Iterable<Date | null>): Date | null {
  let first: Date | null = null;
  for (const moment of moments) {
    if (moment !== null && (first === null || moment < first)) first = moment;
  }
  return first;
}
