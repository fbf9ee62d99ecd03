import type { IncomingMessage, ServerResponse } from 'node:http';
import { SeedApprovalsInput } from './bulk-seed.js';
import {
  AccountPatchInput,
  FaultInput,
  MilestoneStatusInput,
  parseInput,
  ReportStatusInput,
  UsageInput,
} from './control-schemas.js';
import { ApiError, errorEnvelope } from './errors.js';
import type { Fault } from './faults.js';
import { readBody, redirect, sendJson } from './http-io.js';
import { jsonBody, matchRoute, type Route, type RouteContext, route, routeNotFound } from './router.js';
import type { SimState } from './state.js';
import type { AccountPatch } from './types.js';
import type { WebhookDispatcher } from './webhook-delivery.js';

// The simulator's own control surface, under /_sim, for the sandbox page and for tests that prefer HTTP.
// It is not part of OpenTrain's API, so it needs no token and its requests stay out of the request log.

export const controlBasePath = '/_sim';

/** The simulator methods the control routes call; createOpenTrainSimulator implements them. */
export interface SimulatorControls {
  confirm(approvalId: string): unknown;
  decline(approvalId: string): unknown;
  expire(approvalId: string): unknown;
  reportStatus(approvalId: string, status: string, options?: { event?: boolean }): unknown;
  recordUsage(contractId: string, usage: { consumedVolume: number; fundedVolume?: number }): unknown;
  createApproval(input: unknown): unknown;
  seedApprovals(input: SeedApprovalsInput): unknown;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  readonly faults: readonly Fault[];
  setAccount(patch: AccountPatch): unknown;
  addContract(contract: unknown): unknown;
  setMilestoneStatus(milestoneId: string, status: string): unknown;
  sweepExpired(): number;
  snapshot(): unknown;
  readonly requests: readonly unknown[];
  clearRequests(): void;
  readonly deliveries: readonly unknown[];
  deliverNow(): Promise<void>;
}

const resolutions = ['confirm', 'decline', 'expire'] as const;

function ok(body: unknown, status = 200): { status: number; body: unknown } {
  return { status, body };
}

/** RegExps and Infinity do not survive JSON.stringify; show them the way FaultInput accepts them. */
function faultJson(fault: Fault): unknown {
  return {
    ...fault,
    path: fault.path instanceof RegExp ? { pattern: fault.path.source } : fault.path,
    times: fault.times === Number.POSITIVE_INFINITY ? 'Infinity' : fault.times,
  };
}

function controlRoutes(sim: SimulatorControls): Route[] {
  return [
    route('GET', /^\/snapshot$/, () => ok(sim.snapshot())),
    route('GET', /^\/requests$/, () => ok({ requests: sim.requests })),
    route('DELETE', /^\/requests$/, () => {
      sim.clearRequests();
      return ok({ ok: true });
    }),
    route('GET', /^\/deliveries$/, () => ok({ deliveries: sim.deliveries })),
    route('POST', /^\/deliveries\/flush$/, async () => {
      await sim.deliverNow();
      return ok({ ok: true });
    }),
    route('POST', /^\/approvals$/, (ctx) => ok({ approval: sim.createApproval(jsonBody(ctx)) }, 201)),
    route('POST', /^\/approvals\/(?<approvalId>[^/]+)\/(?<action>confirm|decline|expire)$/, ({ params }) => {
      const approvalId = params.approvalId ?? '';
      const action = resolutions.find((a) => a === params.action) ?? 'confirm';
      return ok({ approval: sim[action](approvalId) });
    }),
    route('POST', /^\/approvals\/seed$/, (ctx) =>
      ok({ approvals: sim.seedApprovals(parseInput(SeedApprovalsInput, jsonBody(ctx))) }, 201),
    ),
    route('POST', /^\/approvals\/sweep-expired$/, () => ok({ expired: sim.sweepExpired() })),
    route('POST', /^\/approvals\/(?<approvalId>[^/]+)\/status$/, (ctx) => {
      const { status, event } = parseInput(ReportStatusInput, jsonBody(ctx));
      return ok({ approval: sim.reportStatus(ctx.params.approvalId ?? '', status, { event }) });
    }),
    route('POST', /^\/contracts\/(?<contractId>[^/]+)\/usage$/, (ctx) =>
      ok({ contract: sim.recordUsage(ctx.params.contractId ?? '', parseInput(UsageInput, jsonBody(ctx))) }),
    ),
    route('GET', /^\/faults$/, () => ok({ faults: sim.faults.map(faultJson) })),
    route('POST', /^\/faults$/, (ctx) => {
      sim.injectFault(parseInput(FaultInput, jsonBody(ctx)));
      return ok({ faults: sim.faults.map(faultJson) }, 201);
    }),
    route('DELETE', /^\/faults$/, () => {
      sim.clearFaults();
      return ok({ faults: [] });
    }),
    route('PATCH', /^\/account$/, (ctx) =>
      ok({ account: sim.setAccount(parseInput(AccountPatchInput, jsonBody(ctx))) }),
    ),
    route('POST', /^\/contracts$/, (ctx) => ok({ contract: sim.addContract(jsonBody(ctx)) }, 201)),
    route('POST', /^\/milestones\/(?<milestoneId>[^/]+)\/status$/, (ctx) => {
      const { status } = parseInput(MilestoneStatusInput, jsonBody(ctx));
      return ok({ milestone: sim.setMilestoneStatus(ctx.params.milestoneId ?? '', status) });
    }),
  ];
}

/**
 * The approval page's Confirm and Decline buttons are plain HTML forms, so they work without scripts: a form
 * post does the action and redirects back to the page with the outcome in the query string.
 */
function isFormPost(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

export function createControlHandler(
  sim: SimulatorControls,
  deps: { state: SimState; dispatcher: WebhookDispatcher },
): (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => Promise<void> {
  const routes = controlRoutes(sim);
  return async (req, res, path, query) => {
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      const match = matchRoute(routes, method, path);
      if (match === undefined) throw routeNotFound(method, `${controlBasePath}${path}`);
      const ctx: RouteContext = {
        ...deps,
        params: match.params,
        query,
        rawBody: await readBody(req),
        contentType: req.headers['content-type'] ?? '',
      };
      const approvalId = match.params.approvalId;
      if (isFormPost(req) && approvalId !== undefined) {
        ctx.rawBody = '';
        const page = `/approvals/${encodeURIComponent(approvalId)}`;
        try {
          await match.route.handle(ctx);
          redirect(res, `${page}?done=${encodeURIComponent(match.params.action ?? '')}`);
        } catch (err) {
          redirect(
            res,
            `${page}?error=${encodeURIComponent(err instanceof Error ? err.message : String(err))}`,
          );
        }
        return;
      }
      const reply = await match.route.handle(ctx);
      sendJson(res, reply.status, reply.body);
    } catch (err) {
      if (err instanceof ApiError) {
        sendJson(res, err.status, errorEnvelope(err.status, err.message, err.details));
        return;
      }
      // Controls are called by code: an Error thrown by a method (e.g. a duplicate contract id) is a bad request.
      sendJson(res, 400, errorEnvelope(400, err instanceof Error ? err.message : String(err)));
    }
  };
}
