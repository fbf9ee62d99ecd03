import { loadDatabaseSetting } from '../config.js';
import { lastTickKey, pollerLeaseName } from '../poller.js';
import type { MigrationReport } from '../store/migrate.js';
import { migrateStore, openStore } from '../store/open-store.js';
import { updatesCursorName } from '../use-cases/poll-tick.js';

export interface Status {
  readonly approvals: Partial<Record<string, number>>;
  readonly queue: {
    readonly pending: number;
    readonly due: number;
    readonly oldestDueSeconds: number | null;
  };
  readonly poller: {
    readonly lastTickAt: string | null;
    readonly lagSeconds: number | null;
    /** The replica ticking right now, if one is. */
    readonly heldBy: string | null;
  };
  readonly cursor: string | null;
}

/** What `countersign status` shows, read from whichever DATABASE_URL is set. */
export async function readStatus(env: Record<string, string | undefined>, now = new Date()): Promise<Status> {
  const store = await openStore(loadDatabaseSetting(env));
  try {
    const saved = await store.state.get('slack-identity');
    const workspaceId =
      saved === null ? '' : String((JSON.parse(saved) as { teamId?: unknown }).teamId ?? '');
    const [approvals, queue, last, holder, cursor] = await Promise.all([
      store.approvals.countByStatus(),
      store.outbox.stats(now),
      store.state.get(lastTickKey),
      store.leases.holder(pollerLeaseName, now),
      store.cursors.get(workspaceId, updatesCursorName),
    ]);
    const seconds = (from: Date | null) =>
      from === null ? null : Math.round((now.getTime() - from.getTime()) / 1_000);
    return {
      approvals,
      queue: { pending: queue.pending, due: queue.due, oldestDueSeconds: seconds(queue.oldestDueAt) },
      poller: {
        lastTickAt: last,
        lagSeconds: seconds(last === null ? null : new Date(last)),
        heldBy: holder?.owner ?? null,
      },
      cursor,
    };
  } finally {
    await store.close();
  }
}

export function describeStatus(status: Status): string {
  const counts = Object.entries(status.approvals)
    .map(([name, count]) => `${count} ${name}`)
    .join(', ');
  const { queue, poller } = status;
  const oldest = queue.oldestDueSeconds === null ? '' : `, the oldest for ${queue.oldestDueSeconds} s`;
  const tick = poller.lagSeconds === null ? 'no tick yet' : `last tick ${poller.lagSeconds} s ago`;
  const holder = poller.heldBy === null ? 'no replica is ticking right now' : `ticking now: ${poller.heldBy}`;
  return [
    `Approvals:   ${counts === '' ? 'none tracked' : counts}`,
    `Queue:       ${queue.pending} waiting (${queue.due} due${oldest})`,
    `Poller:      ${tick}; ${holder}`,
    `Feed cursor: ${status.cursor ?? '(not started)'}`,
  ].join('\n');
}

/** `countersign migrate`: brings the schema of whichever DATABASE_URL is set up to date. */
export async function migrate(env: Record<string, string | undefined>): Promise<MigrationReport> {
  return migrateStore(loadDatabaseSetting(env));
}
