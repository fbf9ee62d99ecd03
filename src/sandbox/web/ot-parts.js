// @ts-check
// Pieces the OpenTrain pane's views share: money, and status pills with the app's wording for each status.

import { h } from './dom.js';

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** @param {number | null | undefined} amount */
export function money(amount) {
  return amount === null || amount === undefined ? '-' : usd.format(amount);
}

export const milestoneLabels = /** @type {Record<string, [string, string]>} */ ({
  NOT_FUNDED: ['Not funded', 'grey'],
  ACTIVE_FUNDED: ['Funded', 'green'],
  PAID: ['Paid', 'blue'],
  CANCELLED: ['Cancelled', 'red'],
  REFUNDED: ['Refunded', 'amber'],
});

export const approvalLabels = /** @type {Record<string, [string, string]>} */ ({
  pending: ['Pending', 'amber'],
  confirmed: ['Confirmed', 'green'],
  declined: ['Declined', 'red'],
  expired: ['Expired', 'grey'],
});

/** @param {[string, string] | undefined} label @param {string} fallback */
export function pill(label, fallback) {
  const [text, tone] = label ?? [fallback, 'grey'];
  return h('span', { class: `pill ${tone}` }, text);
}
