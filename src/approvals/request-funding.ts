import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';

export interface FundingRequest {
  readonly milestoneId: string;
  readonly note: string | null;
  readonly requester: { readonly userId: string; readonly teamId: string | null };
  /** Where the command was typed; the card goes there unless a route or FUND_CHANNEL says otherwise. */
  readonly originChannelId: string;
  readonly responseUrl: string | null;
}

/**
 * Records the request durably and returns at once; the worker calls OpenTrain. The command is acknowledged
 * after this returns, so a slow OpenTrain never delays the ack and a crash never loses the request.
 */
export async function requestFunding(
  deps: { store: Store; clock: Clock },
  request: FundingRequest,
  requestId: string = randomUUID(),
): Promise<string> {
  const now = deps.clock.now();
  const key = `fund:${requestId}`;
  await deps.store.enqueueEffects(
    [
      {
        key,
        kind: 'fund',
        approvalId: null,
        payload: {
          ...request,
          requester: { kind: 'slack', ...request.requester },
          requestedAt: now.toISOString(),
        },
      },
    ],
    now,
  );
  return key;
}
