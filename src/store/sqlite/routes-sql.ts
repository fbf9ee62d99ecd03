import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import type { Approver, Route, RouteScope } from '../../domain/routing.js';
import type { NewAuditEntry, NewRoute, RoutesPort } from '../../ports/store.js';

interface RouteRow {
  workspace_id: string;
  scope: RouteScope;
  target_id: string;
  label: string | null;
  channel_id: string;
  approvers: string;
  auto_fund: number;
  created_by: string;
  updated_at: number;
}

export const ApproversJson = z
  .array(z.object({ kind: z.enum(['user', 'usergroup']), id: z.string() }))
  .catch([]) satisfies z.ZodType<Approver[]>;

function toRoute(row: RouteRow): Route {
  return {
    workspaceId: row.workspace_id,
    scope: row.scope,
    targetId: row.target_id,
    label: row.label,
    channelId: row.channel_id,
    approvers: ApproversJson.parse(JSON.parse(row.approvers)),
    autoFund: row.auto_fund === 1,
    createdBy: row.created_by,
    updatedAt: new Date(row.updated_at),
  };
}

export function createRoutesSql(
  db: Database,
  appendAuditNow: (entries: readonly NewAuditEntry[], at: Date) => void,
): RoutesPort {
  const upsert = db.prepare(`
    INSERT INTO routes (workspace_id, scope, target_id, label, channel_id, approvers, auto_fund, created_by,
      created_at, updated_at)
    VALUES (@workspaceId, @scope, @targetId, @label, @channelId, @approvers, @autoFund, @createdBy, @at, @at)
    ON CONFLICT (workspace_id, scope, target_id) DO UPDATE SET label = excluded.label, channel_id = excluded.channel_id,
      approvers = excluded.approvers, auto_fund = excluded.auto_fund, created_by = excluded.created_by,
      updated_at = excluded.updated_at`);
  const find = db.prepare<[string, string, string], RouteRow>(
    'SELECT * FROM routes WHERE workspace_id = ? AND scope = ? AND target_id = ?',
  );
  const findAny = db.prepare<[string, string], RouteRow>(
    'SELECT * FROM routes WHERE workspace_id = ? AND target_id = ?',
  );
  const remove = db.prepare('DELETE FROM routes WHERE workspace_id = ? AND scope = ? AND target_id = ?');
  const all = db.prepare<[string], RouteRow>(
    'SELECT * FROM routes WHERE workspace_id = ? ORDER BY scope, target_id',
  );

  const save = db.transaction((route: NewRoute, at: Date, entry: NewAuditEntry) => {
    upsert.run({
      ...route,
      approvers: JSON.stringify(route.approvers),
      autoFund: route.autoFund ? 1 : 0,
      at: at.getTime(),
    });
    appendAuditNow([entry], at);
    const row = find.get(route.workspaceId, route.scope, route.targetId);
    if (row === undefined) throw new Error('route vanished while it was being saved');
    return toRoute(row);
  });
  const drop = db.transaction(
    (
      workspaceId: string,
      target: { scope: RouteScope | undefined; id: string },
      at: Date,
      entry: NewAuditEntry,
    ) => {
      const row =
        target.scope === undefined
          ? findAny.get(workspaceId, target.id)
          : find.get(workspaceId, target.scope, target.id);
      if (row === undefined) return undefined;
      remove.run(workspaceId, row.scope, row.target_id);
      appendAuditNow([entry], at);
      return toRoute(row);
    },
  );

  return {
    async save(route, at, entry) {
      return save.immediate(route, at, entry);
    },
    async remove(workspaceId, target, at, entry) {
      return drop.immediate(workspaceId, target, at, entry);
    },
    async list(workspaceId) {
      return all.all(workspaceId).map(toRoute);
    },
    async findFor(workspaceId, targets) {
      const found = new Map<string, Route>();
      for (const target of targets) {
        for (const [scope, id] of [
          ['contract', target.contractId],
          ['job', target.jobId],
        ] as const) {
          if (id === null || found.has(`${scope}:${id}`)) continue;
          const row = find.get(workspaceId, scope, id);
          if (row !== undefined) found.set(`${scope}:${id}`, toRoute(row));
        }
      }
      return [...found.values()];
    },
  };
}
