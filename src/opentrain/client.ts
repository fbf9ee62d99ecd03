import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, request, errors as undiciErrors } from 'undici';
import { z } from 'zod';
import { type BackoffPolicy, backoffDelay } from '../backoff.js';
import type { Clock } from '../clock.js';
import type { Approval } from '../domain/approval.js';
import type { Logger } from '../logger.js';
import { errorFromResponse, OpenTrainError, parseRetryAfter } from './errors.js';
import type { CreatedWebhook as CreatedWebhookType } from './schema.js';
import {
  ApprovalEnvelope,
  Capabilities,
  Contract,
  ContractList,
  CreatedWebhook,
  DeletedWebhook,
  ErrorEnvelope,
  UpdatesPage,
  type Webhook,
  WebhookList,
} from './schema.js';

export interface RetryPolicy extends BackoffPolicy {
  /** Total tries, the first included. */
  readonly attempts: number;
  /** Give up rather than start a wait that would end after this long since the first try. */
  readonly budgetMs: number;
}

export interface CallOptions {
  readonly timeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
}

export interface OpenTrainClient {
  /** POST /milestones/{id}/fund. Idempotent while the approval is pending, so it is retried like a read. */
  fundMilestone(milestoneId: string, options?: CallOptions): Promise<Approval>;
  getApproval(approvalId: string, options?: CallOptions): Promise<Approval>;
  listUpdates(cursor: string | null, limit: number, options?: CallOptions): Promise<UpdatesPage>;
  getContract(contractId: string, options?: CallOptions): Promise<Contract>;
  /** GET /contracts?jobId=: answers 404 when the job does not exist, which is how a job id is recognised. */
  listContracts(jobId: string, options?: CallOptions): Promise<Contract[]>;
  createWebhook(url: string, eventTypes: readonly string[]): Promise<CreatedWebhookType>;
  listWebhooks(): Promise<Webhook[]>;
  deleteWebhook(webhookId: string): Promise<Webhook>;
  /** GET /auth/me: who the token belongs to and the scopes it carries. Any valid token may ask. */
  me(options?: CallOptions): Promise<Identity>;
}

/**
 * GET /auth/me, only the fields Countersign reads. Kept here rather than in schema.ts while the core is being
 * restructured; it belongs with the other schemas.
 */
export const Identity = z
  .object({
    actor: z
      .object({
        userId: z.string(),
        fullName: z.string().nullish(),
        email: z.string().nullish(),
      })
      .nullish(),
    token: z.object({
      id: z.string().nullish(),
      label: z.string().nullish(),
      scopes: z.array(z.string()),
    }),
    account: z
      .object({
        kind: z.string().nullish(),
        organizationId: z.string().nullish(),
        memberRole: z.string().nullish(),
      })
      .nullish(),
  })
  .transform((me) => ({
    actorName: me.actor?.fullName ?? me.actor?.email ?? me.actor?.userId ?? null,
    tokenLabel: me.token.label ?? null,
    scopes: me.token.scopes,
    organizationId: me.account?.organizationId ?? null,
  }));
export type Identity = z.output<typeof Identity>;

export interface OpenTrainClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly dispatcher?: Dispatcher;
  readonly timeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly random?: () => number;
  /** Told of every request sent: its endpoint (`GET /approvals/{id}`) and outcome (`ok` or the failure). */
  readonly onCall?: (method: string, outcome: string) => void;
}

/** An endpoint as dashboards group it: ids replaced, query dropped. */
export function endpointOf(method: string, path: string): string {
  const bare = path.split('?')[0] ?? path;
  const templated = bare.replace(/\/(milestones|approvals|contracts|webhooks)\/[^/]+/g, '/$1/{id}');
  return `${method} ${templated}`;
}

type Method = 'GET' | 'POST' | 'DELETE';

/** The feature flags that gate what Countersign writes: capability name (job-drafts/capabilities) → flag name. */
const features = {
  paymentsWrite: 'public_api_payments_write',
  webhooks: 'public_api_webhooks',
} as const;

const defaultRetry: RetryPolicy = { attempts: 3, baseMs: 400, maxMs: 4_000, budgetMs: 12_000 };
/** The longest a Retry-After may hold every call back: a bad header must not silence the poller for a day. */
const maxPauseMs = 5 * 60_000;

export function createOpenTrainClient(options: OpenTrainClientOptions): OpenTrainClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const defaultTimeoutMs = options.timeoutMs ?? 10_000;
  const log = options.log.child({ component: 'opentrain' });
  /**
   * A 429 with Retry-After pauses every call until then, not only the one that got it: the limit is the
   * token's, so the poller's next tick, a funding request and a contract lookup all wait (or fail fast)
   * instead of hammering OpenTrain. A 503's Retry-After stays with its own call (one endpoint may be down
   * while the feed is fine), and no pause lasts longer than `maxPauseMs`, whatever the header says.
   */
  let pausedUntil = 0;

  async function once<S extends z.ZodType>(
    method: Method,
    path: string,
    schema: S,
    timeoutMs: number,
    body: unknown,
  ): Promise<z.output<S>> {
    try {
      const result = await send(method, path, schema, timeoutMs, body);
      options.onCall?.(endpointOf(method, path), 'ok');
      return result;
    } catch (error) {
      options.onCall?.(endpointOf(method, path), error instanceof OpenTrainError ? error.failure : 'error');
      throw error;
    }
  }

  async function send<S extends z.ZodType>(
    method: Method,
    path: string,
    schema: S,
    timeoutMs: number,
    body: unknown,
  ): Promise<z.output<S>> {
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await request(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.token}`,
          accept: 'application/json',
          'user-agent': 'countersign',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: options.dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.body.text();
    } catch (cause) {
      throw transportError(cause, method, path);
    }
    const json = parseJson(text);
    if (response.statusCode >= 200 && response.statusCode < 300) {
      const parsed = schema.safeParse(json);
      if (parsed.success) return parsed.data;
      throw new OpenTrainError(
        'bad-response',
        `OpenTrain answered ${method} ${path} in an unexpected shape`,
        {
          status: response.statusCode,
          cause: parsed.error,
        },
      );
    }
    const envelope = ErrorEnvelope.safeParse(json);
    const error = errorFromResponse(
      response.statusCode,
      envelope.success ? envelope.data : undefined,
      parseRetryAfter(response.headers['retry-after'], options.clock.now()),
    );
    if (error.status === 429 && error.retryAfterMs !== undefined) {
      const until = options.clock.now().getTime() + Math.min(error.retryAfterMs, maxPauseMs);
      if (until > pausedUntil) {
        pausedUntil = until;
        log.warn(
          { method, path, pauseMs: until - options.clock.now().getTime() },
          'OpenTrain rate limit: pausing calls',
        );
      }
    }
    throw error;
  }

  /** Waits out a pause OpenTrain asked for, or says how long is left when the caller cannot wait. */
  async function respectPause(method: Method, path: string, waitBudgetMs: number): Promise<void> {
    const waitMs = pausedUntil - options.clock.now().getTime();
    if (waitMs <= 0) return;
    if (waitMs > waitBudgetMs) {
      throw new OpenTrainError(
        'rate-limited',
        `OpenTrain asked for a pause (Retry-After); ${method} ${path} was not sent`,
        { retryAfterMs: waitMs },
      );
    }
    await sleep(waitMs);
  }

  async function call<S extends z.ZodType>(
    method: Method,
    path: string,
    schema: S,
    callOptions: CallOptions = {},
    body?: unknown,
  ): Promise<z.output<S>> {
    const policy = { ...defaultRetry, ...options.retry, ...callOptions.retry };
    const timeoutMs = callOptions.timeoutMs ?? defaultTimeoutMs;
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await respectPause(method, path, policy.budgetMs - (performance.now() - started));
        return await once(method, path, schema, timeoutMs, body);
      } catch (error) {
        if (!(error instanceof OpenTrainError) || !error.transient || attempt >= policy.attempts) throw error;
        const delay = error.retryAfterMs ?? backoffDelay(attempt - 1, policy, options.random);
        if (performance.now() - started + delay > policy.budgetMs) throw error;
        log.debug(
          { method, path, attempt, delayMs: delay, failure: error.failure },
          'retrying OpenTrain call',
        );
        await sleep(delay);
      }
    }
  }

  /**
   * A disabled feature's 403 names it (details.featureKey), which errorFromResponse reads. A 403 that names no
   * scope, reason or feature may still be a flag switched off, and OpenTrain advises asking
   * GET /job-drafts/capabilities whenever a write is refused that way:
   * - the flag is off: the failure is feature-disabled, confirmed;
   * - the probe itself answers 403 (it belongs to job drafting, which may be off too): nothing can confirm it,
   *   so the failure is feature-disabled with `featureConfirmed: false`, "may be off";
   * - the flag is on, or the probe failed some other way: the 403 stands as forbidden.
   */
  async function gated<T>(flag: keyof typeof features, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof OpenTrainError) || error.failure !== 'forbidden') throw error;
      const probe = await call('GET', '/job-drafts/capabilities', Capabilities, {
        retry: { attempts: 1 },
      }).then(
        (capabilities) => ({ capabilities, forbidden: false }),
        (probeError: unknown) => {
          const forbidden = probeError instanceof OpenTrainError && probeError.status === 403;
          if (!forbidden) log.warn({ err: probeError }, 'could not read OpenTrain capabilities after a 403');
          return { capabilities: undefined, forbidden };
        },
      );
      const off = probe.capabilities?.[flag] === false;
      if (!off && !probe.forbidden) throw error;
      throw new OpenTrainError('feature-disabled', error.message, {
        status: error.status,
        code: error.code,
        requestId: error.requestId,
        details: {
          ...error.details,
          featureKey: features[flag],
          ...(off ? {} : { featureConfirmed: false }),
        },
        cause: error,
      });
    }
  }

  return {
    fundMilestone: (milestoneId, callOptions) =>
      gated('paymentsWrite', () =>
        call('POST', `/milestones/${encodeURIComponent(milestoneId)}/fund`, ApprovalEnvelope, callOptions),
      ),
    getApproval: (approvalId, callOptions) =>
      call('GET', `/approvals/${encodeURIComponent(approvalId)}`, ApprovalEnvelope, callOptions),
    listUpdates: (cursor, limit, callOptions) => {
      const query = new URLSearchParams({ limit: String(limit) });
      if (cursor !== null) query.set('cursor', cursor);
      return call('GET', `/updates?${query}`, UpdatesPage, callOptions);
    },
    getContract: (contractId, callOptions) =>
      call('GET', `/contracts/${encodeURIComponent(contractId)}`, Contract, callOptions),
    listContracts: (jobId, callOptions) =>
      call('GET', `/contracts?${new URLSearchParams({ jobId })}`, ContractList, callOptions),
    // Creating a webhook is not idempotent: one try only, so a lost answer never makes two subscriptions.
    createWebhook: (url, eventTypes) =>
      gated('webhooks', () =>
        call('POST', '/webhooks', CreatedWebhook, { retry: { attempts: 1 } }, { url, eventTypes }),
      ),
    listWebhooks: () => gated('webhooks', () => call('GET', '/webhooks', WebhookList)),
    deleteWebhook: (webhookId) =>
      gated('webhooks', () => call('DELETE', `/webhooks/${encodeURIComponent(webhookId)}`, DeletedWebhook)),
    me: (callOptions) => call('GET', '/auth/me', Identity, callOptions),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function transportError(cause: unknown, method: string, path: string): OpenTrainError {
  const timedOut =
    cause instanceof undiciErrors.HeadersTimeoutError ||
    cause instanceof undiciErrors.BodyTimeoutError ||
    cause instanceof undiciErrors.ConnectTimeoutError ||
    (cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError'));
  return timedOut
    ? new OpenTrainError('timeout', `OpenTrain did not answer ${method} ${path} in time`, { cause })
    : new OpenTrainError('network', `Could not reach OpenTrain for ${method} ${path}`, { cause });
}
