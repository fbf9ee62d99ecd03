import type { Route, RouteScope } from '../../domain/routing.js';
import type { NewAuditEntry, RoutesPort } from '../../ports/store.js';
import { ApproversJson } from '../sqlite/routes-sql.js';
import type { Db, Tx } from './db.js';

interface RouteRow {
  workspace_id: string;
  scope: RouteScope;
  target_id: string;
  label: string | null;
  channel_id: string;
  approvers: string;
  auto_fund: boolean;
  created_by: string;
  updated_at: number;
}

function toRoute(row: RouteRow): Route {
  return {
    workspaceId: row.workspace_id,
    scope: row.scope,
    targetId: row.target_id,
    label: row.label,
    channelId: row.channel_id,
    approvers: ApproversJson.parse(JSON.parse(row.approvers)),
    autoFund: row.auto_fund,
    createdBy: row.created_by,
    updatedAt: new Date(row.updated_at),
  };
}

const upsert = `
  INSERT INTO routes (workspace_id, scope, target_id, label, channel_id, approvers, auto_fund, created_by,
    created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
  ON CONFLICT (workspace_id, scope, target_id) DO UPDATE SET label = excluded.label,
    channel_id = excluded.channel_id, approvers = excluded.approvers, auto_fund = excluded.auto_fund,
    created_by = excluded.created_by, updated_at = excluded.updated_at
  RETURNING *`;

/** Deletes the route of one scope, or of either (the contract's first, as SQLite's key order has it). */
const remove = `
  DELETE FROM routes WHERE workspace_id = $1 AND target_id = $2 AND scope = (
    SELECT scope FROM routes WHERE workspace_id = $1 AND target_id = $2 AND ($3::text IS NULL OR scope = $3)
    ORDER BY scope LIMIT 1)
  RETURNING *`;

export function createRoutesSql(
  db: Db,
  appendAudit: (tx: Tx, entries: readonly NewAuditEntry[], at: Date) => Promise<void>,
): RoutesPort {
  return {
    save: (route, at, entry) =>
      db.transaction(async (tx) => {
        const { rows } = await tx.query<RouteRow>(upsert, [
          route.workspaceId,
          route.scope,
          route.targetId,
          route.label,
          route.channelId,
          JSON.stringify(route.approvers),
          route.autoFund,
          route.createdBy,
          at.getTime(),
        ]);
        const [row] = rows;
        if (row === undefined) throw new Error('route vanished while it was being saved');
        await appendAudit(tx, [entry], at);
        return toRoute(row);
      }),
    remove: (workspaceId, target, at, entry) =>
      db.transaction(async (tx) => {
        const { rows } = await tx.query<RouteRow>(remove, [workspaceId, target.id, target.scope ?? null]);
        const [row] = rows;
        if (row === undefined) return undefined;
        await appendAudit(tx, [entry], at);
        return toRoute(row);
      }),
    async list(workspaceId) {
      const { rows } = await db.query<RouteRow>(
        'SELECT * FROM routes WHERE workspace_id = $1 ORDER BY scope, target_id',
        [workspaceId],
      );
      return rows.map(toRoute);
    },
    async findFor(workspaceId, targets) {
      const contracts = targets.flatMap((t) => (t.contractId === null ? [] : [t.contractId]));
      const jobs = targets.flatMap((t) => (t.jobId === null ? [] : [t.jobId]));
      if (contracts.length === 0 && jobs.length === 0) return [];
      const { rows } = await db.query<RouteRow>(
        `SELECT * FROM routes WHERE workspace_id = $1 AND (
          (scope = 'contract' AND target_id = ANY($2::text[])) OR (scope = 'job' AND target_id = ANY($3::text[])))`,
        [workspaceId, contracts, jobs],
      );
      const byKey = new Map(rows.map((row) => [`${row.scope}:${row.target_id}`, toRoute(row)]));
      // In the order asked: each target's contract route, then its job route.
      const found = new Map<string, Route>();
      for (const target of targets) {
        for (const key of [`contract:${target.contractId}`, `job:${target.jobId}`]) {
          const route = byKey.get(key);
          if (route !== undefined) found.set(key, route);
        }
      }
      return [...found.values()];
    },
  };
}
