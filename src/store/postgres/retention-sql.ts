import type { RetentionPort } from '../../ports/store.js';
import type { Db } from './db.js';

const statements = {
  approvals: `DELETE FROM approvals WHERE id IN (
    SELECT id FROM approvals WHERE status <> 'pending' AND resolved_at < $1 LIMIT $2)`,
  effects: `DELETE FROM effects WHERE id IN (
    SELECT id FROM effects WHERE state <> 'pending' AND finished_at < $1 LIMIT $2)`,
  audit: 'DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)',
};

/** Ended approvals, finished effects and old audit rows past their retention, in bounded batches. */
export function createRetentionSql(db: Db): RetentionPort {
  async function run(statement: string, before: Date | null, limit: number): Promise<number> {
    if (before === null) return 0;
    return (await db.query(statement, [before.getTime(), limit])).rowCount ?? 0;
  }
  return {
    async prune(retention, limit) {
      return {
        approvals: await run(statements.approvals, retention.approvalsEndedBefore, limit),
        effects: await run(statements.effects, retention.effectsFinishedBefore, limit),
        audit: await run(statements.audit, retention.auditBefore, limit),
      };
    },
  };
}
