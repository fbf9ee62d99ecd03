import type { RetentionSettings } from '../config.js';
import type { Logger } from '../logger.js';
import type { Retention, RetentionPort } from '../ports/store.js';

/** The cutoffs for `now`: what ended (finished, was written) before each is past its retention. */
export function retentionCutoffs(settings: RetentionSettings, now: Date): Retention {
  const before = (ms: number | null) => (ms === null ? null : new Date(now.getTime() - ms));
  return {
    approvalsEndedBefore: before(settings.endedApprovalsMs),
    effectsFinishedBefore: before(settings.finishedEffectsMs),
    auditBefore: before(settings.auditMs),
  };
}

export interface PruneTotals {
  approvals: number;
  effects: number;
  audit: number;
}

/**
 * Deletes what is past its retention, `batch` rows of each kind per statement, yielding to the event loop
 * between statements so requests are answered meanwhile; stops after `maxBatches` (the rest goes next time).
 * Pending approvals and effects are never touched. Replicas may prune at once: a row is deleted once.
 */
export async function pruneExpired(
  deps: { retention: RetentionPort; log: Logger },
  settings: RetentionSettings,
  now: Date,
  options: { batch?: number; maxBatches?: number } = {},
): Promise<PruneTotals> {
  const batch = options.batch ?? 1_000;
  const maxBatches = options.maxBatches ?? 200;
  const cutoffs = retentionCutoffs(settings, now);
  const totals: PruneTotals = { approvals: 0, effects: 0, audit: 0 };
  for (let round = 0; round < maxBatches; round++) {
    const gone = await deps.retention.prune(cutoffs, batch);
    totals.approvals += gone.approvals;
    totals.effects += gone.effects;
    totals.audit += gone.audit;
    if (gone.approvals < batch && gone.effects < batch && gone.audit < batch) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (totals.approvals + totals.effects + totals.audit > 0) {
    deps.log.info(totals, 'pruned rows past their retention');
  }
  return totals;
}
