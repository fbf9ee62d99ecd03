import type { App } from '@slack/bolt';
import type { Logger } from '../logger.js';
import type { InboundPort } from '../ports/store.js';
import type { CommandHandler } from './listeners/commands/index.js';

/** Slack gives up on an answer after 3 s; answer in time whatever the listener is doing. */
const ackDeadlineMs = 2_500;

export type Kind = 'command' | 'event' | 'interaction';

export function kindOf(body: Record<string, unknown>): Kind {
  if (typeof body.command === 'string') return 'command';
  if (body.type === 'event_callback') return 'event';
  return 'interaction';
}

/** What a person sees when Countersign answers for a listener that did not (it crashed, or is very slow). */
const unanswered = {
  failed: {
    response_type: 'ephemeral',
    text: ':warning: Countersign could not handle this command (an error on our side), so nothing was sent to OpenTrain. Try again; if it keeps happening, tell whoever runs Countersign.',
  },
  slow: {
    response_type: 'ephemeral',
    text: ':hourglass_flowing_sand: Countersign is taking longer than usual to record this; its answer will follow here.',
  },
} as const;

export interface Delivery {
  readonly body: Record<string, unknown>;
  /** Sends the answer Slack waits for (the HTTP response, or the Socket Mode envelope's ack); called once. */
  readonly answer: (payload: unknown) => void;
  readonly retryNum?: number;
  readonly retryReason?: string;
  /** Something unique to this request (its signature, its envelope id), for listeners that key work on it. */
  readonly requestId?: string;
}

/**
 * Hands a verified Slack request to its handler, over either transport: a slash command straight to its own
 * (`commands`), anything else to Bolt. Every request is answered: a listener that
 * acks gives the answer; one that throws, or takes too long, gets a truthful one written here, so a request is
 * never dropped unanswered. Events are deduplicated by event id, so Slack's retries run nothing twice (the one
 * event handled, opening App Home, is idempotent, so a failed one is not retried either).
 */
export async function dispatch(
  app: App,
  delivery: Delivery,
  deps: {
    readonly inbound: Pick<InboundPort, 'recordDelivery'>;
    readonly log: Logger;
    readonly now: () => Date;
    /** Told how long each slash command took to be answered. */
    readonly onAnswered?: (command: string, seconds: number) => void;
    /** Slash commands answered without Bolt; one not listed here goes through Bolt (which has no listener). */
    readonly commands?: ReadonlyMap<string, CommandHandler>;
  },
): Promise<void> {
  const { body } = delivery;
  const kind = kindOf(body);
  const started = performance.now();
  let answered = false;
  const answer = (payload: unknown) => {
    if (answered) return;
    answered = true;
    delivery.answer(payload);
    if (kind === 'command') deps.onAnswered?.(String(body.command), (performance.now() - started) / 1_000);
  };
  if (kind === 'event' && typeof body.event_id === 'string') {
    if (!(await deps.inbound.recordDelivery(`slack-event:${body.event_id}`, deps.now())))
      return answer(undefined);
  }
  const deadline = setTimeout(() => {
    deps.log.warn({ kind }, 'a Slack listener did not answer in time; answered for it');
    answer(kind === 'command' ? unanswered.slow : undefined);
  }, ackDeadlineMs);
  const command = kind === 'command' ? deps.commands?.get(String(body.command)) : undefined;
  try {
    if (command !== undefined)
      await command({
        command: body,
        ack: async (response) => answer(response),
        requestId: delivery.requestId,
      });
    else
      await app.processEvent({
        body,
        ack: async (response?: unknown) => answer(response),
        ...(delivery.retryNum === undefined ? {} : { retryNum: delivery.retryNum }),
        ...(delivery.retryReason === undefined ? {} : { retryReason: delivery.retryReason }),
      });
  } catch (error) {
    deps.log.error({ err: error, kind }, 'a Slack listener failed');
  } finally {
    clearTimeout(deadline);
  }
  // A listener that returned or threw without answering: a command gets a truthful answer; an event or a
  // click needs nothing more.
  answer(kind === 'command' ? unanswered.failed : undefined);
}
