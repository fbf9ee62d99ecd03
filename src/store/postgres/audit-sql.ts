import type { AuditPort, CursorPort, NewAuditEntry } from '../../ports/store.js';
import { type AuditRow, toAuditEntry } from '../sqlite/rows.js';
import type { Db, Tx } from './db.js';

/** The audit log and the feed cursor; `appendAudit` joins the caller's transaction. */
export function createAuditSql(db: Db) {
  async function appendAudit(tx: Tx, entries: readonly NewAuditEntry[], at: Date): Promise<void> {
    for (const entry of entries) {
      await tx.query(
        `INSERT INTO audit_log (at, approval_id, milestone_id, actor, action, detail)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          at.getTime(),
          entry.approvalId,
          entry.milestoneId,
          entry.actor,
          entry.action,
          entry.detail === undefined ? null : JSON.stringify(entry.detail),
        ],
      );
    }
  }

  const audit: AuditPort = {
    async append(entries, at) {
      await db.transaction((tx) => appendAudit(tx, entries, at));
    },
    async list(filter) {
      const [where, values] =
        filter.approvalId !== undefined
          ? ['WHERE approval_id = $2', [filter.approvalId]]
          : filter.milestoneId !== undefined
            ? ['WHERE milestone_id = $2', [filter.milestoneId]]
            : ['', []];
      const { rows } = await db.query<AuditRow>(
        `SELECT * FROM audit_log ${where} ORDER BY id DESC LIMIT $1`,
        [filter.limit, ...values],
      );
      return rows.map(toAuditEntry);
    },
  };

  const cursors: CursorPort = {
    async get(workspaceId, name) {
      const { rows } = await db.query<{ value: string | null }>(
        'SELECT value FROM cursors WHERE workspace_id = $1 AND name = $2',
        [workspaceId, name],
      );
      return rows[0]?.value ?? null;
    },
    // Compare-and-set: moves only from where the caller read it, so a poller that lost its lease cannot move
    // it back. A missing row is a cursor at null.
    async advance(workspaceId, name, from, to, at) {
      const { rowCount } =
        from === null
          ? await db.query(
              `INSERT INTO cursors (workspace_id, name, value, updated_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (workspace_id, name) DO UPDATE SET value = excluded.value,
                 updated_at = excluded.updated_at
               WHERE cursors.value IS NULL`,
              [workspaceId, name, to, at.getTime()],
            )
          : await db.query(
              'UPDATE cursors SET value = $4, updated_at = $5 WHERE workspace_id = $1 AND name = $2 AND value = $3',
              [workspaceId, name, from, to, at.getTime()],
            );
      return rowCount === 1;
    },
  };
  return { audit, cursors, appendAudit };
}
