import type { Database } from 'better-sqlite3';
import type { AuditPort, CursorPort, NewAuditEntry } from '../../ports/store.js';
import { type AuditRow, toAuditEntry } from './rows.js';

/** The audit log and the feed cursor; `appendAuditNow` joins the caller's transaction. */
export function createAuditSql(db: Database) {
  const insert = db.prepare(`
    INSERT INTO audit_log (at, approval_id, milestone_id, actor, action, detail)
    VALUES (@at, @approvalId, @milestoneId, @actor, @action, @detail)`);
  const byApproval = db.prepare<[string, number], AuditRow>(
    'SELECT * FROM audit_log WHERE approval_id = ? ORDER BY id DESC LIMIT ?',
  );
  const byMilestone = db.prepare<[string, number], AuditRow>(
    'SELECT * FROM audit_log WHERE milestone_id = ? ORDER BY id DESC LIMIT ?',
  );
  const latest = db.prepare<[number], AuditRow>('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?');
  const getCursor = db.prepare<[string, string], { value: string | null }>(
    'SELECT value FROM cursors WHERE workspace_id = ? AND name = ?',
  );
  // Moves only from where the caller read it: a poller that lost its lease cannot move it back. A cursor
  // never set (no row, or a null left by an older version) starts only for a caller that read it unset.
  const startCursor = db.prepare(`
    INSERT INTO cursors (workspace_id, name, value, updated_at) VALUES (@workspaceId, @name, @to, @at)
    ON CONFLICT (workspace_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
    WHERE cursors.value IS NULL`);
  const moveCursor = db.prepare(`
    UPDATE cursors SET value = @to, updated_at = @at WHERE workspace_id = @workspaceId AND name = @name
      AND value = @from`);

  function appendAuditNow(entries: readonly NewAuditEntry[], at: Date): void {
    for (const entry of entries) {
      insert.run({
        at: at.getTime(),
        approvalId: entry.approvalId,
        milestoneId: entry.milestoneId,
        actor: entry.actor,
        action: entry.action,
        detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
      });
    }
  }
  const appendAudit = db.transaction(appendAuditNow);

  const audit: AuditPort = {
    async append(entries, at) {
      appendAudit.immediate(entries, at);
    },
    async list(filter) {
      const rows =
        filter.approvalId !== undefined
          ? byApproval.all(filter.approvalId, filter.limit)
          : filter.milestoneId !== undefined
            ? byMilestone.all(filter.milestoneId, filter.limit)
            : latest.all(filter.limit);
      return rows.map(toAuditEntry);
    },
  };
  const cursors: CursorPort = {
    async get(workspaceId, name) {
      return getCursor.get(workspaceId, name)?.value ?? null;
    },
    async advance(workspaceId, name, from, to, at) {
      const params = { workspaceId, name, to, at: at.getTime() };
      const changed = from === null ? startCursor.run(params) : moveCursor.run({ ...params, from });
      return changed.changes === 1;
    },
  };
  return { audit, cursors, appendAuditNow };
}
