/**
 * Version 2, as SQLite's version 7: partial indexes for each question asked of pending and ended approvals
 * (a tick, a Home tab, retention), and the requester's user id on its own column.
 */
export const schemaV2 = `
  ALTER TABLE approvals ADD COLUMN requester_user_id TEXT;
  UPDATE approvals SET requester_user_id = requester::jsonb ->> 'userId' WHERE requester::jsonb ->> 'kind' = 'slack';
  ALTER TABLE approvals ADD COLUMN reported_status TEXT;

  DROP INDEX approvals_by_status_expiry;
  DROP INDEX approvals_for_home;
  DROP INDEX approvals_by_resolved;
  DROP INDEX approvals_countdown_due;
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
