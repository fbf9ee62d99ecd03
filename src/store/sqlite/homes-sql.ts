import type { Database } from 'better-sqlite3';
import type { HomeView, HomeViewQueue } from '../store.js';

interface HomeRow {
  user_id: string;
  version: number;
  attempts: number;
}

export function createHomesSql(db: Database): HomeViewQueue {
  const opened = db.prepare(`
    INSERT INTO home_views (user_id, opened_at, next_attempt_at) VALUES (@userId, @at, @at)
    ON CONFLICT (user_id) DO UPDATE SET opened_at = excluded.opened_at, version = version + 1,
      next_attempt_at = MIN(next_attempt_at, excluded.next_attempt_at)`);
  // People who have not opened the tab for a month are not refreshed; opening it again catches them up.
  const recently = `opened_at >= @at - ${30 * 24 * 3_600_000}`;
  const stale = db.prepare(`
    UPDATE home_views SET version = version + 1, next_attempt_at = MIN(next_attempt_at, @at)
    WHERE user_id = @userId AND ${recently}`);
  const countdowns = db.prepare(`
    UPDATE home_views SET version = version + 1, refresh_at = NULL, next_attempt_at = @at
    WHERE refresh_at <= @at AND published_version = version AND ${recently}`);
  const claim = db.prepare<{ owner: string; until: number; now: number; limit: number }, HomeRow>(`
    UPDATE home_views SET lease_owner = @owner, lease_until = @until
    WHERE user_id IN (
      SELECT user_id FROM home_views
      WHERE published_version < version AND next_attempt_at <= @now
        AND (lease_until IS NULL OR lease_until <= @now)
      ORDER BY next_attempt_at LIMIT @limit)
    RETURNING user_id, version, attempts`);
  const published = db.prepare(`
    UPDATE home_views SET published_version = MAX(published_version, @version), attempts = 0, last_error = NULL,
      refresh_at = @refreshAt, lease_owner = NULL, lease_until = NULL
    WHERE user_id = @userId AND lease_owner = @owner`);
  const failed = db.prepare(`
    UPDATE home_views SET attempts = attempts + 1, last_error = @error, next_attempt_at = @next,
      lease_owner = NULL, lease_until = NULL
    WHERE user_id = @userId AND lease_owner = @owner`);
  const markStale = db.transaction((userIds: readonly string[], at: number) => {
    for (const userId of userIds) stale.run({ userId, at });
  });

  return {
    async homeOpened(userId, at) {
      opened.run({ userId, at: at.getTime() });
    },
    async markHomesStale(userIds, at) {
      markStale.immediate(userIds, at.getTime());
    },
    async claimHomes(lease): Promise<HomeView[]> {
      const now = lease.now.getTime();
      return claim
        .all({ owner: lease.owner, until: now + lease.leaseMs, now, limit: lease.limit })
        .map((row) => ({ userId: row.user_id, version: row.version, attempts: row.attempts }));
    },
    async recordHomePublished(userId, owner, version, refreshAt) {
      published.run({ userId, owner, version, refreshAt: refreshAt?.getTime() ?? null });
    },
    async refreshHomeCountdowns(now) {
      return countdowns.run({ at: now.getTime() }).changes;
    },
    async recordHomeFailure(userId, owner, error, nextAttemptAt) {
      failed.run({ userId, owner, error, next: nextAttemptAt.getTime() });
    },
  };
}
