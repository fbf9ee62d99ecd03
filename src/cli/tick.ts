import type { Logger } from 'pino';
import { systemClock } from '../clock.js';
import { loadOperatorSettings } from '../config.js';
import type { TickAction } from '../domain/plan-tick.js';
import { createOpenTrainClient } from '../opentrain/client.js';
import { createOpenTrainPort } from '../opentrain/port.js';
import { openStore } from '../store/open-store.js';
import { pollTick, type TickReport } from '../use-cases/poll-tick.js';

/**
 * `tick --dry`: one poller tick against the configured store and OpenTrain, planned but not acted on. It
 * reads (the feed, the approvals it names, lapsed ones: OpenTrain flips a lapsed approval to expired when it
 * is read, as it would for anyone looking) and writes nothing.
 */
export async function dryTick(env: Record<string, string | undefined>, log: Logger): Promise<TickReport> {
  const settings = loadOperatorSettings(env);
  const store = await openStore(settings.database);
  try {
    const saved = await store.state.get('slack-identity');
    const workspaceId =
      saved === null ? '' : String((JSON.parse(saved) as { teamId?: unknown }).teamId ?? '');
    const client = createOpenTrainClient({ ...settings.opentrain, clock: systemClock, log });
    return await pollTick(
      {
        ...store,
        opentrain: createOpenTrainPort(client, { trustedOrigin: new URL(settings.opentrain.baseUrl).origin }),
        clock: systemClock,
        log,
        workspaceId,
        settings: { reminderOffsetsMs: settings.reminderOffsetsMs },
      },
      { dry: true },
    );
  } finally {
    await store.close();
  }
}

/** One line per action, in the order a tick would take them. */
export function describeAction(action: TickAction): string {
  const effects = 'effects' in action ? ` → ${action.effects.map((effect) => effect.key).join(', ')}` : '';
  switch (action.kind) {
    case 'end':
      return `end ${action.approvalId} as ${action.transition.status} (${action.transition.source})${effects}`;
    case 'advance-cursor':
      return `move the feed cursor from ${action.from ?? 'the start'} to ${action.to}`;
    case 'autofund':
      return `autofund ${action.milestoneId} (${action.route.scope} route ${action.route.targetId})${effects}`;
    case 'remind':
      return `remind about ${action.approvalId}, ${action.offsetMs / 3_600_000} h before expiry${effects}`;
    case 'context-found':
      return `show the amount and names on ${action.approvalId}'s card${effects}`;
    case 'context-retry':
      return `try ${action.approvalId}'s contract lookup again ${action.retryAt === null ? 'never' : `at ${action.retryAt.toISOString()}`}`;
    case 'refresh-card':
      return `refresh the countdown on ${action.approvalId}'s card${effects}`;
    case 'refresh-home':
      return `refresh ${action.userId}'s Home tab countdowns${effects}`;
    case 'report-status':
      return action.reportedStatus === null
        ? `show ${action.approvalId} as plain pending again (${action.source})${effects}`
        : `show that OpenTrain reports ${action.approvalId} as "${action.reportedStatus}", still followed (${action.source})${effects}`;
  }
}
