import type { SimulatorSeed } from './seed-schema.js';

const dayMs = 24 * 60 * 60 * 1000;

/** Used when no anchor is given, so the seed is stable across runs. */
const defaultAnchor = '2026-06-01T09:00:00.000Z';

/**
 * A small, believable employer account for demos and tests. Dates are relative to `now` (the simulator passes
 * its clock's time) so due dates sit in the future and creation dates in the past.
 *
 * | milestone | contract | state                         | what /fund answers                 |
 * |-----------|----------|-------------------------------|------------------------------------|
 * | M-1001    | C-501    | NOT_FUNDED, 300 USD           | 202 approval                       |
 * | M-1002    | C-502    | NOT_FUNDED, 1250 USD          | 202 approval                       |
 * | M-1003    | C-501    | ACTIVE_FUNDED (invoice)       | 409 milestone_not_fundable         |
 * | M-1004    | C-501    | CANCELLED                     | 409 milestone_cancelled            |
 * | M-1005    | C-503    | NOT_FUNDED, contract ended    | 409 contract_ended                 |
 * | M-9999    | -        | does not exist                | 404                                |
 *
 * payment_method_required: `setAccount({ paymentMethod: false })`, then fund M-1001 or M-1002.
 * P-801 is an open proposal on J-300 for trying POST /proposals/{id}/hire.
 */
export function defaultSeed(now: Date = new Date(defaultAnchor)): SimulatorSeed {
  function daysFromNow(days: number): string {
    return new Date(now.getTime() + days * dayMs).toISOString();
  }
  return {
    owner: {
      userId: 'U-42',
      email: 'mira.chen@example.com',
      firstName: 'Mira',
      lastName: 'Chen',
      organizationId: 'O-7',
      tokenId: 'T-1',
      tokenLabel: 'countersign-sandbox',
    },
    jobs: [
      { id: 'J-100', title: 'Spanish Sentiment Labeling - Social Media Posts', createdAt: daysFromNow(-40) },
      { id: 'J-200', title: 'Medical Transcript QA - English', createdAt: daysFromNow(-30) },
      { id: 'J-300', title: 'TypeScript Code Review for RLHF', status: 'OPEN', createdAt: daysFromNow(-5) },
    ],
    contracts: [
      {
        id: 'C-501',
        jobId: 'J-100',
        title: 'Spanish Sentiment Labeling Contract',
        rateUsd: 300,
        proposalId: 'P-701',
        freelancer: {
          userId: 'F-11',
          displayName: 'Maria G.',
          country: 'Spain',
          profilePath: '/profile/maria-g',
        },
        createdAt: daysFromNow(-35),
        jobDmConversationId: 'CONV-9001',
        milestones: [
          {
            id: 'M-1001',
            name: 'First labeling batch',
            description: 'Label the first 5,000 posts per the guidelines',
            amountUsd: 300,
            dueDate: daysFromNow(14),
            createdAt: daysFromNow(-3),
          },
          {
            id: 'M-1003',
            name: 'Guideline calibration round',
            description: 'Label 200 posts twice and reconcile disagreements',
            status: 'ACTIVE_FUNDED',
            amountUsd: 150,
            dueDate: daysFromNow(4),
            invoiceId: 'INV-7001',
            createdAt: daysFromNow(-20),
          },
          {
            id: 'M-1004',
            name: 'Duplicate batch (cancelled)',
            description: 'Created twice by mistake',
            status: 'CANCELLED',
            amountUsd: 300,
            createdAt: daysFromNow(-10),
          },
        ],
      },
      {
        id: 'C-502',
        jobId: 'J-200',
        title: 'Medical Transcript QA Contract',
        rateUsd: 1250,
        proposalId: 'P-702',
        freelancer: {
          userId: 'F-12',
          displayName: 'Amara O.',
          country: 'Nigeria',
          profilePath: '/profile/amara-o',
        },
        createdAt: daysFromNow(-25),
        jobDmConversationId: 'CONV-9002',
        milestones: [
          {
            id: 'M-1002',
            name: 'QA pass on 500 transcripts',
            description: 'Check 500 cardiology transcripts against the audio and fix errors',
            amountUsd: 1250,
            dueDate: daysFromNow(21),
            createdAt: daysFromNow(-2),
          },
        ],
      },
      {
        id: 'C-503',
        jobId: 'J-100',
        title: 'Spanish Sentiment Pilot',
        status: 'ended',
        rateUsd: 400,
        proposalId: 'P-703',
        freelancer: {
          userId: 'F-13',
          displayName: 'Luca B.',
          country: 'Italy',
          profilePath: '/profile/luca-b',
        },
        createdAt: daysFromNow(-60),
        endDate: daysFromNow(-45),
        jobDmConversationId: 'CONV-9003',
        milestones: [
          {
            id: 'M-1005',
            name: 'Second review pass',
            description: 'Never started; the pilot ended first',
            amountUsd: 400,
            createdAt: daysFromNow(-50),
          },
        ],
      },
    ],
    proposals: [
      {
        id: 'P-801',
        jobId: 'J-300',
        freelancer: {
          userId: 'F-14',
          displayName: 'Kenji T.',
          country: 'Japan',
          profilePath: '/profile/kenji-t',
        },
      },
    ],
  };
}
