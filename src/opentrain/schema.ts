import { z } from 'zod';
import { readStatus } from '../domain/approval.js';
import { openTrainIdPattern } from '../domain/opentrain-id.js';

const IsoDate = z.iso.datetime({ offset: true }).transform((text) => new Date(text));
/** Ids Countersign may send back in a request path: an answer with anything else is a bad response. */
const Id = z.string().regex(openTrainIdPattern);
const NullableId = Id.nullish().transform((value) => value ?? null);
/** Ids in the feed are read by the port (toFeedEvent), which ignores one that is not an id. */
const NullableText = z
  .string()
  .nullish()
  .transform((value) => value ?? null);
const Details = z.record(z.string(), z.unknown());

export const Approval = z
  .object({
    id: Id,
    type: z.string().min(1),
    // Any word: one outside the four known statuses is tracked as pending, carrying the word (readStatus),
    // capped so that it fits wherever it is shown.
    status: z
      .string()
      .min(1)
      .transform((word) => word.slice(0, 64)),
    contractId: NullableId,
    milestoneId: NullableId,
    jobId: NullableId,
    proposalId: NullableId,
    // It becomes a button in Slack: only a web address will do.
    approvalUrl: z.url({ protocol: /^https?$/ }),
    expiresAt: IsoDate,
    resolvedAt: IsoDate.nullish().transform((value) => value ?? null),
    result: Details.nullish().transform((value) => value ?? null),
    createdAt: IsoDate,
  })
  .transform(({ status: word, ...approval }) => {
    const { status, reportedStatus } = readStatus(word);
    // Tracked as pending: nothing resolved it as far as Countersign can tell, so it holds no outcome either.
    if (reportedStatus !== null)
      return { ...approval, status, reportedStatus, resolvedAt: null, result: null };
    return { ...approval, status, reportedStatus };
  })
  .readonly();

export const ApprovalEnvelope = z.object({ approval: Approval }).transform(({ approval }) => approval);

export const UpdateEvent = z.object({
  id: z.string().min(1),
  type: z.string(),
  createdAt: IsoDate,
  resourceId: NullableText,
  jobId: NullableText,
  data: Details.nullish().transform((value) => value ?? {}),
});
export type UpdateEvent = z.infer<typeof UpdateEvent>;

/**
 * An event that does not parse must not stop the feed for good (the page would fail every tick and the cursor
 * never pass it): it is kept as an event of type `malformed`, which the domain reads as one it does not act on.
 */
function malformedEvent(item: unknown): UpdateEvent {
  const id = (item as { id?: unknown } | null)?.id;
  return {
    id: typeof id === 'string' ? id : '',
    type: 'malformed',
    createdAt: new Date(0),
    resourceId: null,
    jobId: null,
    data: {},
  };
}

export const UpdatesPage = z.object({
  events: z.array(z.unknown()).transform((items) =>
    items.map((item) => {
      const parsed = UpdateEvent.safeParse(item);
      return parsed.success ? parsed.data : malformedEvent(item);
    }),
  ),
  nextCursor: z
    .string()
    .nullish()
    .transform((value) => value ?? null),
  hasMore: z.boolean().default(false),
});
export type UpdatesPage = z.infer<typeof UpdatesPage>;

const Milestone = z.object({
  id: Id,
  name: z.string().nullish(),
  status: z.string().nullish(),
  amountUsd: z.number().nullish(),
  milestoneNumber: z.number().nullish(),
});

const ContractFields = z.object({
  id: Id,
  status: z.string().nullish(),
  title: z.string().nullish(),
  jobId: Id.nullish(),
  freelancer: z.object({ displayName: z.string().nullish() }).nullish(),
  milestones: z.array(Milestone).nullish(),
});

export const Contract = z.object({ contract: ContractFields }).transform(({ contract }) => contract);
export type Contract = z.infer<typeof Contract>;

export const ContractList = z
  .object({ contracts: z.array(ContractFields) })
  .transform(({ contracts }) => contracts);

const WebhookFields = z.object({
  id: z.string(),
  url: z.string(),
  eventTypes: z.array(z.string()),
  status: z.string(),
  createdAt: z.string().nullish(),
  disabledReason: z.string().nullish(),
});
export type Webhook = z.infer<typeof WebhookFields>;

export const CreatedWebhook = z.object({ webhook: WebhookFields, secret: z.string().startsWith('whsec_') });
export type CreatedWebhook = z.infer<typeof CreatedWebhook>;
export const WebhookList = z
  .object({ webhooks: z.array(WebhookFields) })
  .transform(({ webhooks }) => webhooks);
export const DeletedWebhook = z.object({ webhook: WebhookFields }).transform(({ webhook }) => webhook);

export const ErrorEnvelope = z.object({
  error: z.string().catch('OpenTrain returned an error without a message'),
  code: z.string().catch('UNKNOWN'),
  requestId: z.string().optional().catch(undefined),
  details: Details.optional().catch(undefined),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

/** GET /job-drafts/capabilities: the account's feature flags, as booleans; other fields are not needed. */
export const Capabilities = z
  .object({ capabilities: z.record(z.string(), z.unknown()) })
  .transform(({ capabilities }) => capabilities);
