/**
 * Version 7: indexes that keep a tick, a Home tab and a dashboard cheap at 100,000 pending approvals.
 *
 * The (status, expires_at) index made SQLite plan every "pending and …" query on it, visiting every pending
 * row to return a handful: it gives way to partial indexes, one per question asked of pending rows. The
 * requester's user id gets a column of its own, so a Home tab finds "what I asked for" from an index.
 */
export const migrationV7 = `
  ALTER TABLE approvals ADD COLUMN requester_user_id TEXT;
  UPDATE approvals SET requester_user_id = json_extract(requester, '$.userId')
    WHERE json_extract(requester, '$.kind') = 'slack';
  -- What OpenTrain said when it reported a status Countersign does not know (still followed as pending).
  ALTER TABLE approvals ADD COLUMN reported_status TEXT;

  DROP INDEX approvals_by_status_expiry;
  DROP INDEX approvals_for_home;
  DROP INDEX approvals_by_resolved;
  DROP INDEX approvals_countdown_due;
  -- Lapsed approvals and due reminders: a covering scan, no row read for those with nothing due.
  CREATE INDEX approvals_pending_expiry ON approvals (expires_at, tracked_at, reminder_floor_ms)
    WHERE status = 'pending';
  CREATE INDEX approvals_countdown_due ON approvals (card_refresh_at, expires_at) WHERE status = 'pending';
  CREATE INDEX approvals_pending_channel ON approvals (workspace_id, channel_id, expires_at)
    WHERE status = 'pending';
  CREATE INDEX approvals_pending_requester ON approvals (workspace_id, requester_user_id, expires_at)
    WHERE status = 'pending';
  CREATE INDEX approvals_ended_channel ON approvals (workspace_id, channel_id, resolved_at)
    WHERE status <> 'pending';
  CREATE INDEX approvals_ended_requester ON approvals (workspace_id, requester_user_id, resolved_at)
    WHERE status <> 'pending';
  CREATE INDEX approvals_ended_at ON approvals (resolved_at) WHERE status <> 'pending';
  CREATE INDEX audit_by_time ON audit_log (at);
`;
