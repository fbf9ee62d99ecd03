import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { InboundPort } from '../ports/store.js';
import { BodyTooLargeError, readRawBody, sendJson } from './io.js';
import type { Route } from './server.js';
import { verifyBody } from './signature.js';

export const opentrainWebhookPath = '/opentrain/webhook';
const maxBodyBytes = 64 * 1024;

/**
 * POST /opentrain/webhook: the doorbell. A verified delivery only triggers a poll of /updates (the ledger);
 * its payload is never trusted as truth. Answers at once, well inside OpenTrain's 10 seconds, and a
 * redelivery (same X-OpenTrain-Delivery) rings nothing.
 */
export function opentrainWebhookRoute(deps: {
  inbound: Pick<InboundPort, 'recordDelivery'>;
  clock: Clock;
  log: Logger;
  secret: string;
  ring: () => void;
}): Route {
  return {
    path: opentrainWebhookPath,
    method: 'POST',
    handler: (req, res) => {
      void (async () => {
        try {
          const body = await readRawBody(req, maxBodyBytes);
          const header = req.headers['x-opentrain-signature'];
          const verdict = verifyBody(
            deps.secret,
            typeof header === 'string' ? header : undefined,
            body,
            deps.clock.now(),
          );
          if (!verdict.ok) {
            // Repeated failures usually mean a rotated secret or a proxy that rewrites bodies.
            deps.log.warn({ problem: verdict.problem }, 'OpenTrain webhook refused: bad signature');
            sendJson(res, 401, { error: 'invalid_signature', problem: verdict.problem });
            return;
          }
          const delivery = req.headers['x-opentrain-delivery'];
          const deliveryId = typeof delivery === 'string' && delivery !== '' ? delivery : undefined;
          const fresh =
            deliveryId === undefined || (await deps.inbound.recordDelivery(deliveryId, deps.clock.now()));
          if (fresh) deps.ring();
          sendJson(res, 202, { ok: true, duplicate: !fresh });
        } catch (error) {
          if (error instanceof BodyTooLargeError) {
            sendJson(res, 413, { error: 'body_too_large', limitBytes: maxBodyBytes });
            return;
          }
          deps.log.error({ err: error }, 'OpenTrain webhook failed');
          sendJson(res, 500, { error: 'internal_error' });
        }
      })();
    },
  };
}
