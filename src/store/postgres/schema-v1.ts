/*
 * PostgreSQL version 1: the schema SQLite reached at its version 6, created at once. Column names and meanings
 * are SQLite's, so rows read back the same way (../sqlite/rows.ts): times are BIGINT epoch milliseconds, JSON
 * columns hold text parsed back through schemas, and '' is the workspace of a row written before it knew one.
 */
export const schemaV1 = `
  CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    contract_id TEXT,
    milestone_id TEXT,
    job_id TEXT,
    proposal_id TEXT,
    approval_url TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    resolved_at BIGINT,
    result TEXT,
    created_at BIGINT NOT NULL,
    requester TEXT NOT NULL,
    note TEXT,
    channel_id TEXT NOT NULL,
    approvers TEXT NOT NULL DEFAULT '[]',
    context TEXT,
    context_retry_at BIGINT,
    version INTEGER NOT NULL DEFAULT 1,
    card_version INTEGER NOT NULL DEFAULT 0,
    card_channel_id TEXT,
    card_ts TEXT,
    card_permalink TEXT,
    card_refresh_at BIGINT,
    reminder_floor_ms BIGINT,
    tracked_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX approvals_by_status_expiry ON approvals (status, expires_at);
  CREATE INDEX approvals_by_milestone ON approvals (milestone_id);
  CREATE INDEX approvals_by_resolved ON approvals (resolved_at) WHERE status <> 'pending';
  CREATE INDEX approvals_countdown_due ON approvals (card_refresh_at) WHERE status = 'pending';
  CREATE INDEX approvals_context_due ON approvals (context_retry_at) WHERE status = 'pending';
  CREATE INDEX approvals_for_home ON approvals (workspace_id, status, resolved_at);

  CREATE TABLE effects (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    priority INTEGER NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,
    after_key TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    attempt_started_at BIGINT,
    uncertain_since BIGINT,
    progress TEXT,
    result TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
  );
  CREATE INDEX effects_due ON effects (priority, next_attempt_at) WHERE state = 'pending';
  CREATE INDEX effects_finished ON effects (finished_at) WHERE state <> 'pending';

  CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until BIGINT NOT NULL);
  CREATE TABLE service_state (key TEXT PRIMARY KEY, value TEXT, updated_at BIGINT NOT NULL);

  CREATE TABLE home_tabs (
    workspace_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    refresh_at BIGINT,
    PRIMARY KEY (workspace_id, user_id)
  );
  CREATE INDEX home_tabs_refresh ON home_tabs (refresh_at) WHERE refresh_at IS NOT NULL;

  CREATE TABLE routes (
    workspace_id TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('job', 'contract')),
    target_id TEXT NOT NULL,
    label TEXT,
    channel_id TEXT NOT NULL,
    approvers TEXT NOT NULL DEFAULT '[]',
    auto_fund BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, scope, target_id)
  );

  CREATE TABLE cursors (
    workspace_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, name)
  );

  CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL,
    approval_id TEXT,
    milestone_id TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX audit_by_approval ON audit_log (approval_id, id);
  CREATE INDEX audit_by_milestone ON audit_log (milestone_id, id);

  CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
  );
  CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (received_at);
`;
