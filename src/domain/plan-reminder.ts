import type { TrackedApproval } from './approval.js';

/**
 * Which reminder offset to send now, if any. An offset is due once `expiresAt - offset` has passed; it is
 * skipped for good when that moment was already past when tracking started, and once a smaller offset is
 * handled. When several are due at once (the bot was down), only the most urgent is sent: two reminders in
 * the same minute would be noise.
 */
export function dueReminder(
  approval: Pick<TrackedApproval, 'status' | 'expiresAt' | 'trackedAt' | 'reminderFloorMs'>,
  offsetsMs: readonly number[],
  now: Date,
): number | undefined {
  if (approval.status !== 'pending') return undefined;
  const expiresAt = approval.expiresAt.getTime();
  if (expiresAt <= now.getTime()) return undefined;
  let due: number | undefined;
  for (const offset of offsetsMs) {
    const at = expiresAt - offset;
    if (at > now.getTime()) continue;
    if (at < approval.trackedAt.getTime()) continue;
    if (approval.reminderFloorMs !== null && offset >= approval.reminderFloorMs) continue;
    if (due === undefined || offset < due) due = offset;
  }
  return due;
}
