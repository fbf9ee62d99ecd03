import type { ShiftableClock } from '../clock.js';
import type { OpenTrainSimulator } from './opentrain/simulator.js';
import type { AccountSettings } from './opentrain/types.js';
import type { ApprovalView } from './opentrain/views.js';
import type { SlackFake } from './slack/fake.js';
import type { EphemeralMessage, FakeMessage } from './slack/types.js';
import { summarizeTraffic, type TrafficEntry } from './traffic.js';

/** Who the page plays, and where: Bob, a PM, types in his project channel; the cards go to finance. */
export interface SandboxCast {
  readonly you: string;
  readonly typingChannel: string;
  readonly fundChannel: string;
}

export interface PageChannel {
  id: string;
  /** What the sidebar shows: "finance-approvals", or "Countersign" for the DM with the app. */
  label: string;
  kind: 'public' | 'private' | 'im';
}

export interface PageApproval extends ApprovalView {
  /** Pending on paper but past expiresAt: OpenTrain flips it to expired the next time anyone reads it. */
  lapsed: boolean;
  milestoneName: string | null;
  amountUsd: number | null;
  contractTitle: string | null;
  freelancer: string | null;
}

/** The account switches on the page; each off makes OpenTrain refuse the next funding request its own way. */
export interface PageAccount {
  claimed: boolean;
  paymentMethod: boolean;
  /** The token carries payments:write (off: 403 with requiredScopes). */
  paymentsWriteScope: boolean;
  /** The public_api_payments_write feature flag (off: a bare 403, told apart by the capabilities). */
  paymentsApi: boolean;
}

export function pageAccount(account: AccountSettings): PageAccount {
  return {
    claimed: account.claimed,
    paymentMethod: account.paymentMethod,
    paymentsWriteScope: account.scopes.includes('payments:write'),
    paymentsApi: account.features.paymentsWrite,
  };
}

/** Everything the page draws, as one JSON value; the page keeps no state of its own that matters. */
export interface PageState {
  /** This run of the sandbox: a new id after a restart tells the page that everything went back to the seed. */
  run: { id: string; startedAt: string };
  /** Simulated now, and how far it runs ahead of real time (the page ticks its clock from these). */
  now: string;
  offsetMs: number;
  pollEveryMs: number;
  you: { id: string; name: string; realName: string };
  typingChannel: string;
  fundChannel: string;
  slack: {
    teamName: string;
    botUserId: string;
    users: Array<{ id: string; name: string; realName: string; isBot: boolean }>;
    /** Every channel the page may mention, by id (for <#C…> links). */
    channelNames: Record<string, string>;
    /** The sidebar: your channels, then your DM with the app. */
    sidebar: PageChannel[];
    messages: Record<string, FakeMessage[]>;
    /** Only yours: nobody else's "only visible to you" replies are visible to you. */
    ephemerals: EphemeralMessage[];
    /** The app's Home tab as the bot last published it for you (views.publish), or null before the first. */
    home: { blocks: unknown[]; publishedAt: string } | null;
  };
  opentrain: {
    owner: string;
    account: PageAccount;
    contracts: Array<{
      id: string;
      title: string;
      status: string;
      jobTitle: string | null;
      freelancer: string;
      milestones: Array<{
        id: string;
        name: string;
        status: string;
        amountUsd: number | null;
        dueDate: string | null;
        invoiceId: string | null;
      }>;
    }>;
    approvals: PageApproval[];
  };
  /** Approvals whose card button was clicked in the page (guide step 2). */
  opened: string[];
  traffic: TrafficEntry[];
}

export interface PageStateSources {
  run: { id: string; startedAt: Date };
  clock: ShiftableClock;
  opentrain: OpenTrainSimulator;
  slack: SlackFake;
  cast: SandboxCast;
  pollEveryMs: number;
  opened: ReadonlySet<string>;
  inbound: readonly TrafficEntry[];
}

export function buildPageState(sources: PageStateSources): PageState {
  const { clock, opentrain, slack, cast } = sources;
  const now = clock.now();
  const ws = slack.snapshot();
  const sim = opentrain.snapshot();
  const you = ws.users.find((user) => user.id === cast.you);
  if (you === undefined) throw new Error(`the sandbox user ${cast.you} is not in the workspace`);

  const sidebar: PageChannel[] = ws.channels
    .filter((channel) => channel.kind !== 'im' && !channel.isArchived && channel.members.includes(you.id))
    .map((channel) => ({ id: channel.id, label: channel.name, kind: channel.kind }));
  const dm = ws.channels.find((channel) => channel.kind === 'im' && channel.imUser === you.id);
  if (dm !== undefined) sidebar.push({ id: dm.id, label: 'Countersign', kind: 'im' });

  const milestones = new Map(sim.milestones.map((milestone) => [milestone.id, milestone]));
  const contracts = new Map(sim.contracts.map((contract) => [contract.id, contract]));
  const jobs = new Map(sim.jobs.map((job) => [job.id, job]));

  const home = ws.homeViews[you.id];
  const homeBlocks = home?.view.blocks;

  return {
    run: { id: sources.run.id, startedAt: sources.run.startedAt.toISOString() },
    now: now.toISOString(),
    offsetMs: now.getTime() - Date.now(),
    pollEveryMs: sources.pollEveryMs,
    you: { id: you.id, name: you.name, realName: you.realName },
    typingChannel: cast.typingChannel,
    fundChannel: cast.fundChannel,
    slack: {
      teamName: ws.team.name,
      botUserId: ws.botUserId,
      users: ws.users.map(({ id, name, realName, isBot }) => ({ id, name, realName, isBot })),
      channelNames: Object.fromEntries(
        ws.channels.filter((channel) => channel.kind !== 'im').map((channel) => [channel.id, channel.name]),
      ),
      sidebar,
      messages: Object.fromEntries(sidebar.map((channel) => [channel.id, ws.messages[channel.id] ?? []])),
      ephemerals: ws.ephemerals[you.id] ?? [],
      home:
        home === undefined
          ? null
          : {
              blocks: Array.isArray(homeBlocks) ? homeBlocks : [],
              publishedAt: new Date(home.publishedAt).toISOString(),
            },
    },
    opentrain: {
      owner: `${sim.owner.firstName} ${sim.owner.lastName}`,
      account: pageAccount(sim.account),
      contracts: sim.contracts.map((contract) => ({
        id: contract.id,
        title: contract.title,
        status: contract.status,
        jobTitle: jobs.get(contract.jobId)?.title ?? null,
        freelancer: `${contract.freelancer.displayName}, ${contract.freelancer.country}`,
        milestones: sim.milestones
          .filter((milestone) => milestone.contractId === contract.id)
          .map(({ id, name, status, amountUsd, dueDate, invoiceId }) => ({
            id,
            name,
            status,
            amountUsd,
            dueDate,
            invoiceId,
          })),
      })),
      approvals: sim.approvals.map((approval) => {
        const milestone = approval.milestoneId === null ? undefined : milestones.get(approval.milestoneId);
        const contract = approval.contractId === null ? undefined : contracts.get(approval.contractId);
        return {
          ...approval,
          lapsed: approval.status === 'pending' && Date.parse(approval.expiresAt) <= now.getTime(),
          milestoneName: milestone?.name ?? null,
          amountUsd: milestone?.amountUsd ?? null,
          contractTitle: contract?.title ?? null,
          freelancer: contract === undefined ? null : contract.freelancer.displayName,
        };
      }),
    },
    opened: [...sources.opened],
    traffic: summarizeTraffic({
      slackCalls: slack.calls,
      opentrainRequests: opentrain.requests,
      inbound: sources.inbound,
    }),
  };
}
