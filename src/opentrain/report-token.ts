import type { Logger } from '../logger.js';
import type { OpenTrainClient } from './client.js';
import { checkOpenTrainToken, requiredScope } from './token-check.js';

const fix =
  'Mint a token in OpenTrain (Settings → API keys) with the scopes payments:read and payments:write, and set OT_API_TOKEN.';

/**
 * Says at start-up, in one line, whether OpenTrain accepts OT_API_TOKEN and whether it may fund milestones.
 * Never stops the start: a token can be fixed while Countersign runs, and every request explains a refusal.
 */
export async function reportOpenTrainToken(client: Pick<OpenTrainClient, 'me'>, log: Logger): Promise<void> {
  const verdict = await checkOpenTrainToken(client, { timeoutMs: 5_000, retry: { attempts: 1 } });
  switch (verdict.kind) {
    case 'ok':
      log.info({ scopes: verdict.scopes, token: verdict.tokenLabel }, 'connected to OpenTrain');
      return;
    case 'missing-payments-write':
      log.error(
        { scopes: verdict.scopes, missing: requiredScope },
        `OT_API_TOKEN lacks ${requiredScope}: every funding request will be refused. ${fix}`,
      );
      return;
    case 'unauthorized':
      log.error(
        { status: verdict.status, requestId: verdict.requestId },
        `OpenTrain does not accept OT_API_TOKEN. ${fix}`,
      );
      return;
    case 'unreachable':
      log.warn(
        { failure: verdict.failure },
        'OpenTrain is unreachable at startup; continuing, calls will be retried',
      );
      return;
    case 'unexpected':
      log.warn(
        { failure: verdict.failure },
        'could not check OT_API_TOKEN with OpenTrain (an unexpected answer)',
      );
      return;
  }
}
