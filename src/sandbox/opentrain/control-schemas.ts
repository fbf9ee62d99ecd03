import { z } from 'zod';
import { badRequest } from './errors.js';
import type { Fault } from './faults.js';
import { milestoneStatuses } from './types.js';

// Bodies of the /_sim control endpoints. The sandbox page and tests send these as JSON, so they are parsed
// like any other trust boundary.

/** Parses a control input, turning the first zod issue into a 400 with details.field. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw badRequest(issue?.path.join('.') || 'body', issue?.message ?? 'Invalid input.');
}

/** JSON has no Infinity and no RegExp: `times: "Infinity"` and `pathPattern` (a RegExp source) stand in. */
export const FaultInput = z
  .object({
    method: z.string().min(1).optional(),
    path: z.string().optional(),
    pathPattern: z.string().optional(),
    times: z.union([z.number().int().positive(), z.literal('Infinity')]).optional(),
    status: z.number().int().min(100).max(599).optional(),
    body: z.record(z.string(), z.unknown()).optional(),
    retryAfter: z.number().nonnegative().optional(),
    latencyMs: z.number().nonnegative().max(600_000).optional(),
    lateMs: z.number().nonnegative().max(600_000).optional(),
    drop: z.enum(['reset', 'hang']).optional(),
  })
  .transform((raw): Fault => {
    const fault: Fault = {};
    if (raw.method !== undefined) fault.method = raw.method;
    if (raw.pathPattern !== undefined) fault.path = new RegExp(raw.pathPattern);
    else if (raw.path !== undefined) fault.path = raw.path;
    if (raw.times !== undefined)
      fault.times = raw.times === 'Infinity' ? Number.POSITIVE_INFINITY : raw.times;
    if (raw.status !== undefined) fault.status = raw.status;
    if (raw.body !== undefined) fault.body = raw.body;
    if (raw.retryAfter !== undefined) fault.retryAfter = raw.retryAfter;
    if (raw.latencyMs !== undefined) fault.latencyMs = raw.latencyMs;
    if (raw.lateMs !== undefined) fault.lateMs = raw.lateMs;
    if (raw.drop !== undefined) fault.drop = raw.drop;
    return fault;
  });

export const AccountPatchInput = z.object({
  claimed: z.boolean().optional(),
  scopes: z.array(z.string()).optional(),
  features: z
    .object({
      paymentsWrite: z.boolean().optional(),
      webhooks: z.boolean().optional(),
      hiring: z.boolean().optional(),
      jobDrafting: z.boolean().optional(),
    })
    .optional(),
  paymentMethod: z.boolean().optional(),
  milestoneActionsRequireClaim: z.boolean().optional(),
});

const expiresAt = z.iso.datetime({ offset: true }).optional();

const HireTermsInput = z.object({
  name: z.string().optional(),
  description: z.string().optional(),
  amount: z.number().positive(),
  dueDate: z.string().optional(),
});

/** An approval "another system created" (the OpenTrain app, another agent, the CLI). */
export const ExternalApprovalInput = z.discriminatedUnion('type', [
  z.object({ type: z.literal('milestone_fund'), milestoneId: z.string().min(1), expiresAt }),
  z.object({ type: z.literal('milestone_approve'), milestoneId: z.string().min(1), expiresAt }),
  z.object({ type: z.literal('contract_end'), contractId: z.string().min(1), expiresAt }),
  z.object({
    type: z.literal('proposal_hire'),
    proposalId: z.string().min(1),
    milestone: HireTermsInput.optional(),
    expiresAt,
  }),
]);
export type ExternalApprovalInput = z.input<typeof ExternalApprovalInput>;

export const MilestoneStatusInput = z.object({ status: z.enum(milestoneStatuses) });

/** A status word outside the documented four (or `pending` to stop); see reportApprovalStatus. */
export const ReportStatusInput = z.object({
  status: z.string().regex(/^[a-z][a-z_]{0,39}$/, { error: 'must be a lower-case word like on_hold' }),
  event: z.boolean().optional(),
});

export const UsageInput = z.object({
  consumedVolume: z.number().nonnegative(),
  fundedVolume: z.number().nonnegative().optional(),
});
