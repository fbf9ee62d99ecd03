import { z } from 'zod';
import { contractStatuses, jobStatuses, milestoneStatuses, paymentTypes } from './types.js';

// Seeds arrive from code (defaultSeed, tests) and over HTTP (/_sim/contracts), so one schema serves both.
// Timestamps are optional: a missing one becomes the simulated "now" when the record is loaded.
const timestamp = z.iso.datetime({ offset: true });
const id = z.string().min(1).max(200);

export const FreelancerSeed = z.object({
  userId: id,
  displayName: z.string().min(1),
  country: z.string().default(''),
  profilePath: z.string().default(''),
});
export type FreelancerSeed = z.input<typeof FreelancerSeed>;

export const MilestoneSeed = z.object({
  id,
  name: z.string().default(''),
  description: z.string().default(''),
  status: z.enum(milestoneStatuses).default('NOT_FUNDED'),
  amountUsd: z.number().nonnegative().nullable().default(null),
  volume: z.number().nonnegative().nullable().default(null),
  dueDate: timestamp.nullable().default(null),
  needsReview: z.boolean().default(false),
  invoiceId: z.string().nullable().default(null),
  createdAt: timestamp.optional(),
});
export type MilestoneSeed = z.input<typeof MilestoneSeed>;

export const ContractSeed = z.object({
  id,
  jobId: id,
  title: z.string().min(1),
  status: z.enum(contractStatuses).default('active'),
  paymentType: z.enum(paymentTypes).default('FIXED_PRICE'),
  rateUsd: z.number().nonnegative().nullable().default(null),
  estimatedVolume: z.number().nonnegative().nullable().default(null),
  proposalId: z.string().nullable().default(null),
  freelancer: FreelancerSeed,
  startDate: timestamp.optional(),
  endDate: timestamp.nullable().default(null),
  createdAt: timestamp.optional(),
  jobDmConversationId: z.string().nullable().default(null),
  milestones: z.array(MilestoneSeed).default([]),
});
export type ContractSeed = z.input<typeof ContractSeed>;
export type ParsedContractSeed = z.output<typeof ContractSeed>;

export const JobSeed = z.object({
  id,
  title: z.string().min(1),
  status: z.enum(jobStatuses).default('ONGOING'),
  createdAt: timestamp.optional(),
});
export type JobSeed = z.input<typeof JobSeed>;

export const ProposalSeed = z.object({
  id,
  jobId: id,
  freelancer: FreelancerSeed,
  status: z.string().default('SHORTLISTED'),
});
export type ProposalSeed = z.input<typeof ProposalSeed>;

export const OwnerSeed = z.object({
  userId: id,
  email: z.string().min(1),
  firstName: z.string(),
  lastName: z.string(),
  organizationId: id,
  tokenId: id,
  tokenLabel: z.string(),
});
export type OwnerSeed = z.input<typeof OwnerSeed>;

export const SimulatorSeed = z.object({
  owner: OwnerSeed,
  jobs: z.array(JobSeed).default([]),
  contracts: z.array(ContractSeed).default([]),
  proposals: z.array(ProposalSeed).default([]),
});
export type SimulatorSeed = z.input<typeof SimulatorSeed>;
export type ParsedSimulatorSeed = z.output<typeof SimulatorSeed>;
