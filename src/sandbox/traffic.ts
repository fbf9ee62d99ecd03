import type { RequestLogEntry } from './opentrain/types.js';
import type { ApiCall } from './slack/types.js';

/** One line of the page's "on the wire" log: a real HTTP request between the bot and a fake. */
export interface TrafficEntry {
  /** Simulated time, ISO 8601. */
  at: string;
  route: 'slack-to-bot' | 'bot-to-slack' | 'bot-to-opentrain';
  /** "POST /milestones/M-1001/fund", "chat.postMessage", "/fund-milestone M-1001". */
  label: string;
  /** "202", "ok", "not_in_channel", "no answer". */
  outcome: string;
  ok: boolean;
  /** How many identical requests in a row this line stands for (the poller asks every few seconds). */
  count: number;
}

const keep = 40;

/**
 * Merges what the Slack fake and the OpenTrain simulator recorded with the requests the sandbox sent to the
 * bot, oldest first, folding runs of identical lines, and keeps the latest few.
 */
export function summarizeTraffic(sources: {
  slackCalls: readonly ApiCall[];
  opentrainRequests: readonly RequestLogEntry[];
  inbound: readonly TrafficEntry[];
}): TrafficEntry[] {
  // Only the tails matter, and both logs grow for as long as the sandbox runs.
  const slack = sources.slackCalls.slice(-4 * keep).map(fromSlackCall);
  const opentrain = sources.opentrainRequests.slice(-4 * keep).map(fromOpenTrainRequest);
  const all = [...slack, ...opentrain, ...sources.inbound.slice(-keep)].sort((a, b) =>
    a.at < b.at ? -1 : a.at > b.at ? 1 : 0,
  );
  const folded: TrafficEntry[] = [];
  for (const entry of all) {
    const last = folded.at(-1);
    if (
      last !== undefined &&
      last.route === entry.route &&
      last.label === entry.label &&
      last.outcome === entry.outcome
    ) {
      folded[folded.length - 1] = { ...entry, count: last.count + 1 };
    } else {
      folded.push(entry);
    }
  }
  return folded.slice(-keep);
}

function fromSlackCall(call: ApiCall): TrafficEntry {
  const body = call.response.body;
  const ok = call.response.status >= 200 && call.response.status < 300 && readOk(body) !== false;
  const error = readError(body);
  return {
    at: call.at.toISOString(),
    route: 'bot-to-slack',
    label: call.method,
    outcome: ok ? 'ok' : (error ?? String(call.response.status || 'no answer')),
    ok,
    count: 1,
  };
}

function fromOpenTrainRequest(request: RequestLogEntry): TrafficEntry {
  const status = request.status;
  return {
    at: request.at,
    route: 'bot-to-opentrain',
    label: `${request.method} ${request.path}`,
    outcome: status === null ? 'no answer' : String(status),
    ok: status !== null && status < 400,
    count: 1,
  };
}

function readOk(body: unknown): boolean | undefined {
  if (typeof body !== 'object' || body === null || !('ok' in body)) return undefined;
  return body.ok === true;
}

function readError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  return typeof body.error === 'string' ? body.error : undefined;
}
