import type { Database } from 'better-sqlite3';
import type { RetentionPort } from '../../ports/store.js';

/** Ended approvals, finished effects and old audit rows past their retention, in bounded batches. */
export function createRetentionSql(db: Database): RetentionPort {
  const approvals = db.prepare<{ before: number; limit: number }>(`
    DELETE FROM approvals WHERE id IN (
      SELECT id FROM approvals INDEXED BY approvals_ended_at
      WHERE status <> 'pending' AND resolved_at < @before LIMIT @limit)`);
  const effects = db.prepare<{ before: number; limit: number }>(`
    DELETE FROM effects WHERE id IN (
      SELECT id FROM effects INDEXED BY effects_finished
      WHERE state <> 'pending' AND finished_at < @before LIMIT @limit)`);
  const audit = db.prepare<{ before: number; limit: number }>(`
    DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < @before ORDER BY at LIMIT @limit)`);
  const run = (statement: typeof approvals, before: Date | null, limit: number) =>
    before === null ? 0 : statement.run({ before: before.getTime(), limit }).changes;
  return {
    async prune(retention, limit) {
      return {
        approvals: run(approvals, retention.approvalsEndedBefore, limit),
        effects: run(effects, retention.effectsFinishedBefore, limit),
        audit: run(audit, retention.auditBefore, limit),
      };
    },
  };
}
