import type { Database } from 'better-sqlite3';
import type { Effect } from '../../domain/effects.js';
import { serializeEffect } from '../effect-json.js';

/*
 * Version 6: one durable queue for every side effect, and a workspace on every row.
 *
 * Cards and App Home tabs used to be queues of their own (lease columns on approvals and home_views); they
 * become `card:` and `home:` effects. Effects used to store loose payloads, replies rendered Block Kit; they
 * become typed effects. Rows already finished keep their keys (a key is used once, forever) with the payload
 * converted as far as it can be. Rows written before there were workspaces get workspace '' and are adopted
 * by the workspace the service runs for at its next start.
 */

const schema = `
  ALTER TABLE effects RENAME TO effects_v5;
  DROP INDEX effects_due;
  CREATE TABLE effects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    priority INTEGER NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,
    after_key TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    attempt_started_at INTEGER,
    uncertain_since INTEGER,
    progress TEXT,
    result TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  CREATE INDEX effects_due ON effects (priority, next_attempt_at) WHERE state = 'pending';
  CREATE INDEX effects_finished ON effects (finished_at) WHERE state <> 'pending';

  CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until INTEGER NOT NULL);
  CREATE TABLE service_state (key TEXT PRIMARY KEY, value TEXT, updated_at INTEGER NOT NULL);

  CREATE TABLE home_tabs (
    workspace_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    refresh_at INTEGER,
    PRIMARY KEY (workspace_id, user_id)
  );
  CREATE INDEX home_tabs_refresh ON home_tabs (refresh_at) WHERE refresh_at IS NOT NULL;
  INSERT INTO home_tabs (workspace_id, user_id, opened_at, refresh_at)
    SELECT '', user_id, opened_at, refresh_at FROM home_views;

  CREATE TABLE routes_v6 (
    workspace_id TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('job', 'contract')),
    target_id TEXT NOT NULL,
    label TEXT,
    channel_id TEXT NOT NULL,
    approvers TEXT NOT NULL DEFAULT '[]',
    auto_fund INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, scope, target_id)
  );
  INSERT INTO routes_v6 SELECT '', scope, target_id, label, channel_id, approvers, auto_fund, created_by,
    created_at, updated_at FROM routes;
  DROP TABLE routes;
  ALTER TABLE routes_v6 RENAME TO routes;

  CREATE TABLE cursors_v6 (
    workspace_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, name)
  );
  INSERT INTO cursors_v6 SELECT '', name, value, updated_at FROM cursors;
  DROP TABLE cursors;
  ALTER TABLE cursors_v6 RENAME TO cursors;

  ALTER TABLE audit_log ADD COLUMN workspace_id TEXT NOT NULL DEFAULT '';
  ALTER TABLE approvals ADD COLUMN workspace_id TEXT NOT NULL DEFAULT '';
  CREATE INDEX approvals_for_home ON approvals (workspace_id, status, resolved_at);
`;

/** Approval columns the card queue used to keep; the card effect keeps them now. */
const dropped = `
  DROP INDEX approvals_card_due;
  ALTER TABLE approvals DROP COLUMN card_attempts;
  ALTER TABLE approvals DROP COLUMN card_next_attempt_at;
  ALTER TABLE approvals DROP COLUMN card_error;
  ALTER TABLE approvals DROP COLUMN card_lease_owner;
  ALTER TABLE approvals DROP COLUMN card_lease_until;
  DROP TABLE home_views;
  DROP TABLE effects_v5;
  DROP TABLE upstream_keys;
`;

interface OldEffect {
  id: number;
  key: string;
  kind: string;
  approval_id: string | null;
  payload: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

export function migrateToOneQueue(db: Database): void {
  db.exec(schema);
  const insert = db.prepare(`
    INSERT INTO effects (workspace_id, key, kind, payload, state, priority, attempts, next_attempt_at, result,
      last_error, created_at, updated_at, finished_at)
    VALUES ('', @key, @kind, @payload, @state, @priority, @attempts, @next, @result, @error, @created, @created,
      @finished)
    ON CONFLICT (key) DO NOTHING`);
  const requesterOf = db.prepare<[string], { requester: string }>(
    'SELECT requester FROM approvals WHERE id = ?',
  );
  const slackUser = (approvalId: string | null): string | undefined => {
    if (approvalId === null) return undefined;
    const row = requesterOf.get(approvalId);
    const requester = row === undefined ? undefined : (JSON.parse(row.requester) as { userId?: string });
    return requester?.userId;
  };
  for (const old of db.prepare<[], OldEffect>('SELECT * FROM effects_v5 ORDER BY id').all()) {
    const effect = convert(old, slackUser);
    if (effect === undefined) continue;
    insert.run({
      key: old.key,
      kind: effect.kind,
      payload: serializeEffect(effect),
      state: old.state,
      priority: effect.kind === 'fund' || effect.kind === 'reply' ? 0 : 2,
      attempts: old.attempts,
      next: old.next_attempt_at,
      result: null,
      error: old.last_error,
      created: old.created_at,
      finished: old.finished_at,
    });
  }
  carryOverCardsAndHomes(db);
  carryOverUpstreamKeys(db);
  db.exec(dropped);
}

type Loose = Record<string, unknown>;

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** An old effect row as a typed effect; undefined for one that can no longer mean anything. */
function convert(
  old: OldEffect,
  slackUser: (approvalId: string | null) => string | undefined,
): Effect | undefined {
  const payload = JSON.parse(old.payload) as Loose;
  const approvalId = old.approval_id;
  switch (old.kind) {
    case 'fund':
      return convertFund(payload);
    case 'reminder':
    case 'outcome': {
      const userId = slackUser(approvalId);
      if (approvalId === null || userId === undefined) return undefined;
      const message =
        old.kind === 'reminder'
          ? ({ about: 'reminder', offsetMs: Number(payload.offsetMs) } as const)
          : ({ about: 'outcome', status: payload.status as 'confirmed' } as const);
      return { kind: 'dm', approvalId, userId, message };
    }
    case 'thread':
      if (approvalId === null) return undefined;
      return { kind: 'thread', approvalId, purpose: payload.purpose === 'reminder' ? 'reminder' : 'outcome' };
    case 'notify':
      return convertNotify(old, payload);
    default:
      return undefined;
  }
}

function convertFund(payload: Loose): Effect {
  const requester = payload.requester as Loose;
  const slack = requester.kind !== 'system';
  const userId = text(requester.userId) ?? '';
  const origin = text(payload.originChannelId);
  return {
    kind: 'fund',
    request: {
      workspaceId: '',
      // Before this version only slash commands and autofund rules queued fund effects.
      via: slack ? 'slack' : 'autofund',
      milestoneId: text(payload.milestoneId) ?? '',
      note: text(payload.note),
      requester: slack
        ? { kind: 'slack', userId, teamId: text(requester.teamId) }
        : { kind: 'system', name: text(requester.name) ?? 'unknown' },
      actor: slack ? `slack:${userId}` : `system:${text(requester.name) ?? 'unknown'}`,
      fallbackChannel: origin === null ? null : { id: origin, via: 'invoking-channel' },
      replyTo: slack
        ? {
            userId,
            responseUrl: text(payload.responseUrl),
            requestedAt: new Date(text(payload.requestedAt) ?? 0),
          }
        : null,
      noticeChannelId: text(payload.noticeChannelId),
    },
  };
}

/** Replies rendered by older versions keep their text (the blocks are dropped: nothing stale is kept). */
function convertNotify(old: OldEffect, payload: Loose): Effect | undefined {
  const message = payload.message as Loose | undefined;
  const body = text(message?.text) ?? '';
  if (typeof payload.channelId === 'string') {
    return { kind: 'notice', channelId: payload.channelId, notice: { kind: 'text', text: body } };
  }
  const userId = text(payload.userId);
  if (userId === null) return undefined;
  if (old.key.startsWith('card-arrived:') && old.approval_id !== null) {
    return { kind: 'dm', approvalId: old.approval_id, userId, message: { about: 'card-arrived' } };
  }
  const requestedAt = new Date(text(payload.requestedAt) ?? old.created_at);
  const to = { userId, responseUrl: text(payload.responseUrl), requestedAt };
  return { kind: 'reply', to, reply: { kind: 'text', text: body } };
}

/** Cards and Home tabs that were behind become due `card:` and `home:` effects. */
function carryOverCardsAndHomes(db: Database): void {
  const now = Date.now();
  const insert = db.prepare(`
    INSERT INTO effects (workspace_id, key, kind, payload, priority, next_attempt_at, created_at, updated_at)
    VALUES ('', @key, @kind, @payload, @priority, @next, @now, @now) ON CONFLICT (key) DO NOTHING`);
  const cards = db
    .prepare<[], { id: string; next: number }>(
      'SELECT id, card_next_attempt_at AS next FROM approvals WHERE card_version < version',
    )
    .all();
  for (const card of cards) {
    const effect: Effect = { kind: 'card', approvalId: card.id };
    insert.run({
      key: `card:${card.id}`,
      kind: 'card',
      payload: serializeEffect(effect),
      priority: 1,
      next: card.next,
      now,
    });
  }
  const homes = db
    .prepare<[], { user_id: string; next: number }>(
      'SELECT user_id, next_attempt_at AS next FROM home_views WHERE published_version < version',
    )
    .all();
  for (const home of homes) {
    const effect: Effect = { kind: 'home', userId: home.user_id };
    insert.run({
      key: `home:${home.user_id}`,
      kind: 'home',
      payload: serializeEffect(effect),
      priority: 2,
      next: home.next,
      now,
    });
  }
}

/** An upstream idempotency key that led to an approval becomes that request's finished fund effect. */
function carryOverUpstreamKeys(db: Database): void {
  const insert = db.prepare(`
    INSERT INTO effects (workspace_id, key, kind, payload, state, priority, next_attempt_at, result, created_at,
      updated_at, finished_at)
    VALUES ('', @key, 'fund', @payload, 'done', 0, @at, @result, @at, @at, @at) ON CONFLICT (key) DO NOTHING`);
  const rows = db
    .prepare<[], { key: string; approval_id: string; milestone_id: string | null; updated_at: number }>(`
      SELECT k.key, k.approval_id, a.milestone_id, k.updated_at FROM upstream_keys k
      LEFT JOIN approvals a ON a.id = k.approval_id WHERE k.approval_id IS NOT NULL`)
    .all();
  for (const row of rows) {
    const effect: Effect = {
      kind: 'fund',
      request: {
        workspaceId: '',
        via: 'upstream',
        milestoneId: row.milestone_id ?? '',
        note: null,
        requester: { kind: 'system', name: 'an upstream system' },
        actor: 'upstream:unnamed',
        fallbackChannel: null,
        replyTo: null,
        noticeChannelId: null,
      },
    };
    const result = { kind: 'tracked', approvalId: row.approval_id, ours: true, cardProblem: null };
    insert.run({
      key: row.key,
      payload: serializeEffect(effect),
      result: JSON.stringify(result),
      at: row.updated_at,
    });
  }
}
