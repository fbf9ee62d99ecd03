/** OpenTrain's documented approval lifetime ("about 72 hours"), for when no tracked approval shows one. */
export const documentedApprovalLifetimeMs = 72 * 3_600_000;

/** Clocks differ and a call takes time: the most an approval may seem to outlive its lifetime by. */
const maxSkewMs = 60_000;

/** The margin for skew, at most a tenth of the lifetime so that short (test) lifetimes keep their meaning. */
function marginMs(lifetimeMs: number): number {
  return Math.min(maxSkewMs, lifetimeMs / 10);
}

export type AfterLostAnswer =
  /** Any approval the lost call made is still pending: OpenTrain hands that one back. */
  | 'ask-again'
  /** It may have lapsed, but the milestone's tracked approval is pending: OpenTrain would hand that one back. */
  | 'take-tracked'
  /** It may have lapsed unseen: asking again could make a second approval nobody asked for. */
  | 'unconfirmed';

/**
 * What a funding request cut off while asking OpenTrain (the answer never came, and the feed shows no approval
 * of its milestone ending since) does next. Asking again is safe while any approval the lost call created is
 * pending, as OpenTrain then hands that one back: it dates from after `askingSince`, so it stays pending for
 * `lifetimeMs` (the shortest lifetime OpenTrain gave recent approvals) from then, less a margin for skew. After
 * that it may have lapsed, and OpenTrain marks a lapsed approval expired only when something reads it, so the
 * feed cannot tell and a new call would make a second approval. Unless the milestone's approval that
 * Countersign tracks is still pending (`trackedPendingUntil`, its expiresAt, past the margin): then it is the
 * one OpenTrain has pending (ours, or made after ours lapsed), and the request takes it.
 */
export function afterLostAnswer(input: {
  readonly askingSince: Date;
  readonly now: Date;
  readonly lifetimeMs: number;
  readonly trackedPendingUntil: Date | undefined;
}): AfterLostAnswer {
  const { askingSince, now, lifetimeMs, trackedPendingUntil } = input;
  const margin = marginMs(lifetimeMs);
  if (now.getTime() - askingSince.getTime() < lifetimeMs - margin) return 'ask-again';
  if (trackedPendingUntil !== undefined && trackedPendingUntil.getTime() - now.getTime() > margin)
    return 'take-tracked';
  return 'unconfirmed';
}
