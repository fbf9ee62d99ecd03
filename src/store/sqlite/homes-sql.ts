import type { Database } from 'better-sqlite3';
import type { QueuedEffect } from '../../domain/effects.js';
import type { HomeViewsPort } from '../../ports/store.js';

/** People who have not opened the tab for a month are not refreshed; opening it again catches them up. */
const recentMs = 30 * 24 * 3_600_000;

/** Who opened the app's Home tab, and when the view they were last sent goes stale by the clock. */
export function createHomesSql(
  db: Database,
  enqueue: (effects: readonly QueuedEffect[], at: Date) => number,
): HomeViewsPort {
  const opened = db.prepare(`
    INSERT INTO home_tabs (workspace_id, user_id, opened_at) VALUES (@workspaceId, @userId, @at)
    ON CONFLICT (workspace_id, user_id) DO UPDATE SET opened_at = excluded.opened_at`);
  const recent = db.prepare<[string, string, number], { user_id: string }>(
    'SELECT user_id FROM home_tabs WHERE workspace_id = ? AND user_id = ? AND opened_at >= ?',
  );
  const published = db.prepare(
    'UPDATE home_tabs SET refresh_at = @refreshAt WHERE workspace_id = @workspaceId AND user_id = @userId',
  );
  const stale = db.prepare<[number, number, number], { workspace_id: string; user_id: string }>(`
    SELECT workspace_id, user_id FROM home_tabs WHERE refresh_at <= ? AND opened_at >= ?
    ORDER BY refresh_at LIMIT ?`);
  const clear = db.prepare(
    'UPDATE home_tabs SET refresh_at = NULL WHERE workspace_id = @workspaceId AND user_id = @userId',
  );
  const openAndEnqueue = db.transaction(
    (workspaceId: string, userId: string, at: Date, effects: readonly QueuedEffect[]) => {
      opened.run({ workspaceId, userId, at: at.getTime() });
      enqueue(effects, at);
    },
  );
  const clearAndEnqueue = db.transaction(
    (workspaceId: string, userId: string, at: Date, effects: readonly QueuedEffect[]) => {
      clear.run({ workspaceId, userId });
      enqueue(effects, at);
    },
  );

  return {
    async opened(workspaceId, userId, at, effects) {
      openAndEnqueue.immediate(workspaceId, userId, at, effects);
    },
    async recentViewers(workspaceId, userIds, at) {
      const since = at.getTime() - recentMs;
      return userIds.filter((userId) => recent.get(workspaceId, userId, since) !== undefined);
    },
    async published(workspaceId, userId, refreshAt) {
      published.run({ workspaceId, userId, refreshAt: refreshAt?.getTime() ?? null });
    },
    async listStale(now, limit) {
      return stale
        .all(now.getTime(), now.getTime() - recentMs, limit)
        .map((row) => ({ workspaceId: row.workspace_id, userId: row.user_id }));
    },
    async clearStale(workspaceId, userId, effects, at) {
      clearAndEnqueue.immediate(workspaceId, userId, at, effects);
    },
  };
}
