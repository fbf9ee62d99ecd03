import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { OpenTrainClient } from '../opentrain/client.js';
import { type SlackGateway, toSlackCallError } from '../slack/gateway.js';
import type { Membership } from '../slack/membership.js';
import type { Store } from '../store/store.js';

/** What the background work needs; built once in the composition root. */
export interface JobDeps {
  readonly store: Store;
  readonly opentrain: OpenTrainClient;
  readonly slack: SlackGateway;
  readonly membership: Membership;
  readonly clock: Clock;
  readonly log: Logger;
  /** Lease owner name, unique per process, so replicas never run the same work at once. */
  readonly workerId: string;
  readonly settings: {
    readonly fundChannel: string | undefined;
    readonly reminderOffsetsMs: readonly number[];
  };
}

/** What an effect handler decided; the worker turns it into store updates. */
export type EffectResult =
  | { readonly kind: 'done' }
  | { readonly kind: 'dropped'; readonly reason: string }
  | { readonly kind: 'retry'; readonly error: string; readonly afterMs?: number };

/** A Slack failure inside an effect: retry the transient ones later, let the rest fail the effect. */
export function retryIfTransient(error: unknown): EffectResult {
  const failure = toSlackCallError(error);
  if (failure.transient) return { kind: 'retry', error: failure.code, afterMs: failure.retryAfterMs };
  throw failure;
}
