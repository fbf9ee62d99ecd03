import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../clock.js';
import { defaultAccount, mergeAccount } from './account.js';
import { apiBasePath, createApiHandler } from './api-handler.js';
import { setMilestoneStatus } from './approval-effects.js';
import {
  confirmApproval,
  declineApproval,
  expireApproval,
  refreshApprovals,
  reportApprovalStatus,
} from './approvals.js';
import { recordUsage, type UsageInput } from './budget.js';
import { type SeedApprovalsInput, type SeededApproval, seedApprovals } from './bulk-seed.js';
import { type ExternalApprovalInput, parseInput } from './control-schemas.js';
import { notFound } from './errors.js';
import { createExternalApproval } from './external-approvals.js';
import { createFaultBook, type Fault } from './faults.js';
import { createRequestHandler } from './request-router.js';
import { defaultSeed } from './seed.js';
import { ContractSeed, SimulatorSeed } from './seed-schema.js';
import { createControlHandler, type SimulatorControls } from './sim-controls.js';
import { buildSnapshot, type SimulatorSnapshot } from './snapshot.js';
import { createSimState } from './state.js';
import type {
  AccountPatch,
  AccountSettings,
  Change,
  MilestoneRecord,
  MilestoneStatus,
  RequestLogEntry,
} from './types.js';
import {
  type ApprovalView,
  approvalView,
  type ContractView,
  contractView,
  type MilestoneView,
  milestoneView,
} from './views.js';
import { createWebhookDispatcher, type DeliveryRecord } from './webhook-delivery.js';

export const defaultToken = 'ot_pat_sandbox_0000_secret';
export const defaultApprovalTtlMs = 72 * 60 * 60 * 1000;
/** The docs' schedule is 1, 5, 30 and 120 minutes; the simulator runs it 60x faster by default. */
export const defaultWebhookRetryDelaysMs: readonly number[] = [1_000, 5_000, 30_000, 120_000];

export interface OpenTrainSimulatorOptions {
  /** Simulated time: timestamps, expiry and webhook signatures. Delays (latency, retries) run on real time. */
  clock: Clock;
  /** The one accepted bearer token. */
  token?: string;
  seed?: SimulatorSeed;
  approvalTtlMs?: number;
  account?: AccountPatch;
  /** Base of approvalUrl; defaults to the listening origin, or https://app.opentrain.ai when mounted elsewhere. */
  publicBaseUrl?: string;
  /** Waits before each retry; total attempts = length + 1 (the docs: up to 5 attempts). */
  webhookRetryDelaysMs?: readonly number[];
  /** A receiver slower than this has failed the attempt (docs: 10 s). */
  webhookTimeoutMs?: number;
  /** Consecutive failed deliveries before a webhook is DISABLED (partner docs: 10). */
  webhookDisableAfterFailures?: number;
  /**
   * Caps every /updates page at this many events, whatever `limit` the caller asks for (a positive integer).
   * Unset, pages follow `limit` alone (default 50, max 200). Also settable later through `updatesMaxPageSize`.
   */
  updatesMaxPageSize?: number;
}

export interface OpenTrainSimulator extends SimulatorControls {
  /** Starts a server and resolves to the API base URL, e.g. http://127.0.0.1:4010/api/public/v1. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  /** A request listener for mounting in a host server; `next` is called for paths the simulator does not own. */
  handle(req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  readonly origin: string | undefined;
  readonly apiBaseUrl: string | undefined;
  publicBaseUrl: string | undefined;
  readonly token: string;
  readonly account: AccountSettings;
  confirm(approvalId: string): ApprovalView;
  decline(approvalId: string): ApprovalView;
  expire(approvalId: string): ApprovalView;
  /**
   * A pending approval reports `status` (a word outside the documented four, like `on_hold`) until it is
   * resolved or this is called with `pending`; `event` also puts it in an `approval.confirmed` event.
   */
  reportStatus(approvalId: string, status: string, options?: { event?: boolean }): ApprovalView;
  /**
   * Usage on an hourly or per-label contract; crossing 80 % or 100 % of the funded volume changes its budget
   * state and emits `contract.budget_state_changed`. Fixed-price contracts refuse it (always OK).
   */
  recordUsage(contractId: string, usage: UsageInput): ContractView;
  createApproval(input: ExternalApprovalInput): ApprovalView;
  /**
   * Bulk seed for benchmarks: `count` pending milestone_fund approvals on new milestones and contracts, expiries
   * spread evenly over the window given (72 h by default), no events emitted (see bulk-seed.ts). Also
   * `POST /_sim/approvals/seed` with the same JSON body, answering `{ approvals: [...] }`.
   */
  seedApprovals(input: SeedApprovalsInput): SeededApproval[];
  setAccount(patch: AccountPatch): AccountSettings;
  addContract(contract: ContractSeed): ContractView;
  setMilestoneStatus(milestoneId: string, status: MilestoneStatus): MilestoneView;
  /**
   * A person adds a milestone to a contract in the app: it is created NOT_FUNDED and
   * `milestone.status_changed` reports it, which is what Countersign's autoFund rule listens for.
   */
  addMilestone(
    contractId: string,
    milestone: { id?: string; name: string; amountUsd: number },
  ): MilestoneView;
  /** Opt-in "background sweep": lazily expires every lapsed approval now; returns how many flipped. */
  sweepExpired(): number;
  snapshot(): SimulatorSnapshot;
  readonly faults: readonly Fault[];
  readonly requests: readonly RequestLogEntry[];
  readonly deliveries: readonly DeliveryRecord[];
  /** The /updates page cap (see the option of the same name); undefined lifts it. Takes effect at once. */
  updatesMaxPageSize: number | undefined;
  idle(): Promise<void>;
  onChange(listener: (change: Change) => void): () => void;
}

export function createOpenTrainSimulator(options: OpenTrainSimulatorOptions): OpenTrainSimulator {
  const token = options.token ?? defaultToken;
  let server: Server | undefined;
  let origin: string | undefined;
  let publicBaseUrl = options.publicBaseUrl?.replace(/\/+$/, '');
  let closed = false;
  let closing: Promise<void> | undefined;
  const requests: RequestLogEntry[] = [];
  const hung = new Set<ServerResponse>();
  const sleepers = new Map<NodeJS.Timeout, (alive: boolean) => void>();

  const state = createSimState({
    clock: options.clock,
    approvalTtlMs: options.approvalTtlMs ?? defaultApprovalTtlMs,
    account: mergeAccount(defaultAccount(), options.account),
    seed: SimulatorSeed.parse(options.seed ?? defaultSeed(options.clock.now())),
    approvalBaseUrl: () => publicBaseUrl ?? origin ?? 'https://app.opentrain.ai',
  });
  const dispatcher = createWebhookDispatcher({
    state,
    retryDelaysMs: options.webhookRetryDelaysMs ?? defaultWebhookRetryDelaysMs,
    timeoutMs: options.webhookTimeoutMs ?? 10_000,
    disableAfterFailures: options.webhookDisableAfterFailures ?? 10,
  });
  state.onEvent((event) => dispatcher.dispatch(event));
  state.updatesMaxPageSize = checkedPageSize(options.updatesMaxPageSize);
  const faults = createFaultBook(() => state.changed({ kind: 'fault' }));

  const api = createApiHandler({
    state,
    dispatcher,
    faults,
    token,
    log(entry) {
      requests.push(entry);
      state.changed({ kind: 'request' });
    },
    delay(ms) {
      if (closed) return Promise.resolve(false);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          sleepers.delete(timer);
          resolve(!closed);
        }, ms);
        sleepers.set(timer, resolve);
      });
    },
    hang(res) {
      hung.add(res);
      res.on('close', () => hung.delete(res));
    },
  });

  async function shutDown(): Promise<void> {
    closed = true;
    for (const [timer, wake] of sleepers) {
      clearTimeout(timer);
      wake(false);
    }
    sleepers.clear();
    for (const res of hung) res.destroy();
    await dispatcher.close();
    const listening = server;
    if (listening === undefined) return;
    const stopped = new Promise<void>((resolve) => listening.close(() => resolve()));
    listening.closeAllConnections();
    await stopped;
  }

  function milestoneOrThrow(milestoneId: string) {
    const milestone = state.milestones.get(milestoneId);
    if (milestone === undefined) throw notFound('milestones', 'milestoneId', milestoneId);
    return milestone;
  }

  const sim: OpenTrainSimulator = {
    get origin() {
      return origin;
    },
    get apiBaseUrl() {
      return origin === undefined ? undefined : `${origin}${apiBasePath}`;
    },
    get publicBaseUrl() {
      return publicBaseUrl;
    },
    set publicBaseUrl(value) {
      publicBaseUrl = value?.replace(/\/+$/, '');
    },
    token,
    get account() {
      return structuredClone(state.account);
    },
    get faults() {
      return faults.active;
    },
    get requests() {
      return requests;
    },
    get deliveries() {
      return dispatcher.deliveries;
    },
    get updatesMaxPageSize() {
      return state.updatesMaxPageSize;
    },
    set updatesMaxPageSize(value) {
      state.updatesMaxPageSize = checkedPageSize(value);
    },
    confirm: (approvalId) => approvalView(state, confirmApproval(state, approvalId)),
    decline: (approvalId) => approvalView(state, declineApproval(state, approvalId)),
    expire: (approvalId) => approvalView(state, expireApproval(state, approvalId)),
    reportStatus: (approvalId, status, statusOptions) =>
      approvalView(state, reportApprovalStatus(state, approvalId, status, statusOptions)),
    recordUsage: (contractId, usage) => contractView(state, recordUsage(state, contractId, usage), true),
    createApproval: (input) => approvalView(state, createExternalApproval(state, input)),
    seedApprovals: (input) => seedApprovals(state, input),
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    setAccount(patch) {
      state.account = mergeAccount(state.account, patch);
      state.changed({ kind: 'account' });
      return structuredClone(state.account);
    },
    addContract(contract) {
      const added = state.loadContract(parseInput(ContractSeed, contract));
      return contractView(state, added, true);
    },
    setMilestoneStatus(milestoneId, status) {
      const milestone = milestoneOrThrow(milestoneId);
      setMilestoneStatus(state, milestone, status);
      return milestoneView(state, milestone);
    },
    addMilestone(contractId, input) {
      const contract = state.contracts.get(contractId);
      if (contract === undefined) throw notFound('contracts', 'contractId', contractId);
      const siblings = [...state.milestones.values()].filter((m) => m.contractId === contractId);
      const milestone: MilestoneRecord = {
        id: input.id ?? state.nextId('M-'),
        contractId,
        name: input.name,
        description: '',
        status: 'NOT_FUNDED',
        amountUsd: input.amountUsd,
        volume: null,
        milestoneNumber: siblings.length + 1,
        dueDate: null,
        needsReview: false,
        invoiceId: null,
        createdAt: state.nowIso(),
      };
      state.milestones.set(milestone.id, milestone);
      state.changed({ kind: 'milestone', id: milestone.id });
      state.emit('milestone.status_changed', milestone.id, contract.jobId, {
        milestoneId: milestone.id,
        contractId,
        status: 'NOT_FUNDED',
      });
      return milestoneView(state, milestone);
    },
    sweepExpired: () => refreshApprovals(state, () => true),
    snapshot: () => buildSnapshot(state, faults.active),
    clearRequests() {
      requests.length = 0;
      state.changed({ kind: 'request' });
    },
    deliverNow: () => dispatcher.deliverNow(),
    idle: () => dispatcher.idle(),
    onChange: (listener) => state.onChange(listener),
    handle: (req, res, next) => handle(req, res, next),
    async listen(port = 0, host = '127.0.0.1') {
      if (server !== undefined) throw new Error('the OpenTrain simulator is already listening');
      const listening = createServer((req, res) => sim.handle(req, res));
      server = listening;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => resolve());
      });
      const address = listening.address() as AddressInfo;
      origin = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
      return `${origin}${apiBasePath}`;
    },
    close() {
      closing ??= shutDown();
      return closing;
    },
  };

  const handle = createRequestHandler({
    state,
    api,
    controls: createControlHandler(sim, { state, dispatcher }),
  });

  return sim;
}

function checkedPageSize(value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
    throw new RangeError(`updatesMaxPageSize must be a positive integer, not ${value}`);
  }
  return value;
}
