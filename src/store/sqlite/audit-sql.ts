import type { Database } from 'better-sqlite3';
import type { AuditLog, CursorRepository, NewAuditEntry } from '../store.js';
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
  const getCursor = db.prepare<[string], { value: string | null }>(
    'SELECT value FROM cursors WHERE name = ?',
  );
  const setCursor = db.prepare(`
    INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);

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

  const repository: AuditLog & CursorRepository = {
    async appendAudit(entries, at) {
      appendAudit.immediate(entries, at);
    },
    async listAudit(filter) {
      const rows =
        filter.approvalId !== undefined
          ? byApproval.all(filter.approvalId, filter.limit)
          : filter.milestoneId !== undefined
            ? byMilestone.all(filter.milestoneId, filter.limit)
            : latest.all(filter.limit);
      return rows.map(toAuditEntry);
    },
    async getCursor(name) {
      return getCursor.get(name)?.value ?? null;
    },
    async setCursor(name, value, at) {
      setCursor.run(name, value, at.getTime());
    },
  };
  return { repository, appendAuditNow };
}
