import { ApiError, notFound } from './errors.js';
import type { SimState } from './state.js';
import type { BudgetState, ContractRecord } from './types.js';
import { budgetFigures } from './views.js';

// Contract budgets: the documented thresholds (LOW from 80 % consumed, DEPLETED from 100 %) and the
// `contract.budget_state_changed` event when a contract crosses one.

export interface UsageInput {
  /** Hours (PAY_PER_HOUR) or labels (PAY_PER_LABEL) used so far. */
  consumedVolume: number;
  /** The volume the funded milestones cover; unchanged when omitted. */
  fundedVolume?: number;
}

export function budgetStateFor(fundedVolume: number, consumedVolume: number): BudgetState {
  if (fundedVolume <= 0) return consumedVolume > 0 ? 'DEPLETED' : 'OK';
  const fraction = consumedVolume / fundedVolume;
  if (fraction >= 1) return 'DEPLETED';
  return fraction >= 0.8 ? 'LOW' : 'OK';
}

/**
 * The AI trainer logs hours or labels: the contract's budget moves, and when its state changes OpenTrain emits
 * `contract.budget_state_changed` with the figures. Fixed-price contracts are always OK, as the docs say, so
 * they refuse usage.
 */
export function recordUsage(state: SimState, contractId: string, input: UsageInput): ContractRecord {
  const contract = state.contracts.get(contractId);
  if (contract === undefined) throw notFound('contracts', 'contractId', contractId);
  if (contract.paymentType === 'FIXED_PRICE') {
    throw new ApiError(
      400,
      `Contract ${contract.id} is fixed-price; its budget is always OK. Use an hourly or per-label contract.`,
      { field: 'contractId' },
    );
  }
  const previousState = contract.budget.state;
  const fundedVolume = input.fundedVolume ?? contract.budget.fundedVolume;
  contract.budget = {
    state: budgetStateFor(fundedVolume, input.consumedVolume),
    fundedVolume,
    consumedVolume: input.consumedVolume,
    lastUsageAt: state.nowIso(),
  };
  contract.updatedAt = state.nowIso();
  state.changed({ kind: 'contract', id: contract.id });
  if (contract.budget.state !== previousState) {
    const figures = budgetFigures(contract);
    state.emit('contract.budget_state_changed', contract.id, contract.jobId, {
      contractId: contract.id,
      previousState,
      state: figures.state,
      paymentType: contract.paymentType,
      fundedVolume: figures.fundedVolume,
      consumedVolume: figures.consumedVolume,
      remainingVolume: figures.remainingVolume,
      consumedFraction: figures.consumedFraction,
    });
  }
  return contract;
}
