import type { Clock } from '../../clock.js';
import {
  type ContractSeed,
  ContractSeed as ContractSeedSchema,
  type ParsedSimulatorSeed,
} from './seed-schema.js';
import type {
  AccountSettings,
  ApprovalRecord,
  Change,
  ContractRecord,
  EventRecord,
  EventType,
  JobRecord,
  MilestoneRecord,
  Owner,
  ProposalRecord,
  WebhookRecord,
} from './types.js';

export interface SimState {
  readonly clock: Clock;
  readonly approvalTtlMs: number;
  account: AccountSettings;
  readonly owner: Owner;
  readonly jobs: Map<string, JobRecord>;
  readonly contracts: Map<string, ContractRecord>;
  readonly milestones: Map<string, MilestoneRecord>;
  readonly proposals: Map<string, ProposalRecord>;
  readonly approvals: Map<string, ApprovalRecord>;
  readonly webhooks: Map<string, WebhookRecord>;
  /** Append-only, oldest first; ids are increasing numeric strings. */
  readonly events: EventRecord[];
  /**
   * The most events one /updates page holds, whatever `limit` asks for: a server-side cap like real APIs
   * have, so tests can make a short feed span several pages. undefined: only `limit` counts.
   */
  updatesMaxPageSize: number | undefined;
  nowIso(): string;
  /** Where approvalUrl points: `<base>/approvals/<id>`. */
  approvalUrl(approvalId: string): string;
  /** A page of the OpenTrain app (billing settings, the claim page), on the same origin as approvalUrl. */
  appUrl(path: string): string;
  /** Readable sequential ids: nextId('A-') -> 'A-2001'. Seeded ids are reserved so new ones never collide. */
  nextId(prefix: string): string;
  emit(type: EventType, resourceId: string, jobId: string | null, data: Record<string, unknown>): EventRecord;
  changed(change: Change): void;
  onEvent(listener: (event: EventRecord) => void): () => void;
  onChange(listener: (change: Change) => void): () => void;
  /**
   * Adds a contract with its milestones (and a job record when the job is unknown). It emits no events: it
   * models data that already existed, like the seed, not something that just happened.
   */
  loadContract(seed: ContractSeed): ContractRecord;
}

export interface SimStateOptions {
  clock: Clock;
  approvalTtlMs: number;
  account: AccountSettings;
  seed: ParsedSimulatorSeed;
  approvalBaseUrl: () => string;
}

const firstIds: Record<string, number> = { 'A-': 2001, 'WH-': 3001, 'INV-': 7001, 'PI-': 8001, 'PO-': 8501 };

export function createSimState(options: SimStateOptions): SimState {
  const { clock } = options;
  const counters = new Map<string, number>();
  const eventListeners = new Set<(event: EventRecord) => void>();
  const changeListeners = new Set<(change: Change) => void>();
  let lastEventId = 0;

  function reserveId(id: string): void {
    const match = /^(.*?)(\d+)$/.exec(id);
    if (match?.[1] === undefined || match[2] === undefined) return;
    const next = Number(match[2]) + 1;
    if (next > (counters.get(match[1]) ?? 0)) counters.set(match[1], next);
  }

  const state: SimState = {
    clock,
    approvalTtlMs: options.approvalTtlMs,
    account: options.account,
    owner: options.seed.owner,
    jobs: new Map(),
    contracts: new Map(),
    milestones: new Map(),
    proposals: new Map(),
    approvals: new Map(),
    webhooks: new Map(),
    events: [],
    updatesMaxPageSize: undefined,
    nowIso: () => clock.now().toISOString(),
    approvalUrl: (approvalId) => `${options.approvalBaseUrl()}/approvals/${encodeURIComponent(approvalId)}`,
    appUrl: (path) => `${options.approvalBaseUrl()}${path}`,
    nextId(prefix) {
      const n = counters.get(prefix) ?? firstIds[prefix] ?? 1001;
      counters.set(prefix, n + 1);
      return `${prefix}${n}`;
    },
    emit(type, resourceId, jobId, data) {
      lastEventId += 1;
      const event: EventRecord = {
        id: String(lastEventId),
        type,
        apiVersion: 'v1',
        createdAt: state.nowIso(),
        resourceId,
        jobId,
        data,
      };
      state.events.push(event);
      for (const listener of eventListeners) listener(event);
      state.changed({ kind: 'event', id: event.id });
      return event;
    },
    changed(change) {
      for (const listener of changeListeners) {
        try {
          listener(change);
        } catch {
          // A broken sandbox listener must not turn an API call into a 500; the listener owns its errors.
        }
      }
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    loadContract(seed) {
      const parsed = ContractSeedSchema.parse(seed);
      const now = state.nowIso();
      if (state.contracts.has(parsed.id)) throw new Error(`contract ${parsed.id} already exists`);
      for (const m of parsed.milestones) {
        if (state.milestones.has(m.id)) throw new Error(`milestone ${m.id} already exists`);
      }
      if (!state.jobs.has(parsed.jobId)) {
        // Adding a contract for an unknown job creates the job, so tests need not seed both.
        state.jobs.set(parsed.jobId, {
          id: parsed.jobId,
          title: parsed.title,
          status: 'ONGOING',
          createdAt: now,
        });
        reserveId(parsed.jobId);
      }
      const createdAt = parsed.createdAt ?? now;
      const contract: ContractRecord = {
        id: parsed.id,
        status: parsed.status,
        title: parsed.title,
        jobId: parsed.jobId,
        proposalId: parsed.proposalId,
        paymentType: parsed.paymentType,
        rateUsd: parsed.rateUsd,
        estimatedVolume: parsed.estimatedVolume,
        startDate: parsed.startDate ?? createdAt,
        endDate: parsed.endDate ?? (parsed.status === 'ended' ? now : null),
        createdAt,
        updatedAt: createdAt,
        freelancer: parsed.freelancer,
        jobDmConversationId: parsed.jobDmConversationId,
        budget: { state: 'OK', fundedVolume: 0, consumedVolume: 0, lastUsageAt: null },
      };
      state.contracts.set(contract.id, contract);
      reserveId(contract.id);
      let number = 0;
      for (const m of parsed.milestones) {
        number += 1;
        state.milestones.set(m.id, {
          ...m,
          contractId: contract.id,
          milestoneNumber: number,
          createdAt: m.createdAt ?? now,
        });
        reserveId(m.id);
        if (m.invoiceId !== null) reserveId(m.invoiceId);
      }
      state.changed({ kind: 'contract', id: contract.id });
      return contract;
    },
  };

  for (const job of options.seed.jobs) {
    state.jobs.set(job.id, { ...job, createdAt: job.createdAt ?? state.nowIso() });
    reserveId(job.id);
  }
  for (const contract of options.seed.contracts) state.loadContract(contract);
  for (const proposal of options.seed.proposals) {
    state.proposals.set(proposal.id, proposal);
    reserveId(proposal.id);
  }
  return state;
}
