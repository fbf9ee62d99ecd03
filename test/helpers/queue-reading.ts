import type { Direct, EffectKey, Notice, Reply } from '../../src/domain/effects.js';
import type { AuditEntry, Store } from '../../src/ports/store.js';

/*
 * Reading the store back the way a test asserts on it: what was queued under a key, what a reply or DM says,
 * what the audit log holds in the order it was written.
 */

export async function replyQueued(store: Store, key: EffectKey): Promise<Reply | undefined> {
  const record = await store.outbox.find(key);
  if (record === undefined) return undefined;
  if (record.effect.kind !== 'reply') throw new Error(`${key} is a ${record.effect.kind} effect`);
  return record.effect.reply;
}

export async function directQueued(
  store: Store,
  key: EffectKey,
): Promise<{ userId: string; message: Direct } | undefined> {
  const record = await store.outbox.find(key);
  if (record === undefined) return undefined;
  if (record.effect.kind !== 'dm') throw new Error(`${key} is a ${record.effect.kind} effect`);
  return { userId: record.effect.userId, message: record.effect.message };
}

export async function noticeQueued(
  store: Store,
  key: EffectKey,
): Promise<{ channelId: string; notice: Notice } | undefined> {
  const record = await store.outbox.find(key);
  if (record === undefined) return undefined;
  if (record.effect.kind !== 'notice') throw new Error(`${key} is a ${record.effect.kind} effect`);
  return { channelId: record.effect.channelId, notice: record.effect.notice };
}

/** The audit log about a milestone or an approval, oldest first. */
export async function auditOf(
  store: Store,
  filter: { milestoneId: string } | { approvalId: string },
): Promise<AuditEntry[]> {
  return (await store.audit.list({ ...filter, limit: 1_000 })).reverse();
}

export async function auditActions(
  store: Store,
  filter: { milestoneId: string } | { approvalId: string },
): Promise<string[]> {
  return (await auditOf(store, filter)).map((entry) => entry.action);
}
