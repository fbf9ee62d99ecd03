import type { QueuedEffect } from '../../domain/effects.js';
import type { HomeViewsPort } from '../../ports/store.js';
import type { Db, Tx } from './db.js';

/** People who have not opened the tab for a month are not refreshed; opening it again catches them up. */
const recentMs = 30 * 24 * 3_600_000;

/** Who opened the app's Home tab, and when the view they were last sent goes stale by the clock. */
export function createHomesSql(
  db: Db,
  enqueue: (tx: Tx, effects: readonly QueuedEffect[], at: Date) => Promise<number>,
): HomeViewsPort {
  return {
    opened: (workspaceId, userId, at, effects) =>
      db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO home_tabs (workspace_id, user_id, opened_at) VALUES ($1, $2, $3)
           ON CONFLICT (workspace_id, user_id) DO UPDATE SET opened_at = excluded.opened_at`,
          [workspaceId, userId, at.getTime()],
        );
        await enqueue(tx, effects, at);
      }),
    async recentViewers(workspaceId, userIds, at) {
      const { rows } = await db.query<{ user_id: string }>(
        'SELECT user_id FROM home_tabs WHERE workspace_id = $1 AND user_id = ANY($2::text[]) AND opened_at >= $3',
        [workspaceId, userIds, at.getTime() - recentMs],
      );
      const recent = new Set(rows.map((row) => row.user_id));
      return userIds.filter((userId) => recent.has(userId));
    },
    async published(workspaceId, userId, refreshAt) {
      await db.query('UPDATE home_tabs SET refresh_at = $3 WHERE workspace_id = $1 AND user_id = $2', [
        workspaceId,
        userId,
        refreshAt?.getTime() ?? null,
      ]);
    },
    async listStale(now, limit) {
      const { rows } = await db.query<{ workspace_id: string; user_id: string }>(
        `SELECT workspace_id, user_id FROM home_tabs WHERE refresh_at <= $1 AND opened_at >= $2
         ORDER BY refresh_at, workspace_id, user_id LIMIT $3`,
        [now.getTime(), now.getTime() - recentMs, limit],
      );
      return rows.map((row) => ({ workspaceId: row.workspace_id, userId: row.user_id }));
    },
    clearStale: (workspaceId, userId, effects, at) =>
      db.transaction(async (tx) => {
        await tx.query('UPDATE home_tabs SET refresh_at = NULL WHERE workspace_id = $1 AND user_id = $2', [
          workspaceId,
          userId,
        ]);
        await enqueue(tx, effects, at);
      }),
  };
}
