/**
 * What waits on a person (support's work queue) and how long it may wait: pure rules shared by the
 * API (the list), the worker (the overdue marker and its metric) and the configuration (the service
 * levels). The rows themselves are read by db/support-work-queue.ts.
 */

/** The kinds of work that wait on support, each resolved by an existing endpoint. */
export const WorkKind = {
  /** A refund the provider parked: ABNORMAL, or CLOSED and not re-issued. */
  PARKED_REFUND: 'PARKED_REFUND',
  /** An after-sale in WAIT_FOR_MANUAL (short receipt, receipt overdue, refund or linked order blocked). */
  MANUAL_AFTER_SALE: 'MANUAL_AFTER_SALE',
  /** A complaint in WAIT_ARBITRATION. */
  COMPLAINT_ARBITRATION: 'COMPLAINT_ARBITRATION',
  /** A reconciliation difference still OPEN. */
  RECONCILIATION_CASE: 'RECONCILIATION_CASE',
  /** A late payment the provider did not confirm: logged for support, not refunded. */
  LATE_PAYMENT: 'LATE_PAYMENT',
} as const;
export type WorkKind = (typeof WorkKind)[keyof typeof WorkKind];
export const WORK_KINDS: readonly WorkKind[] = Object.values(WorkKind);

/** The setting that holds each kind's service level (a duration: 30m, 4h, 2d). */
export const SERVICE_LEVEL_SETTINGS: Record<WorkKind, string> = {
  PARKED_REFUND: 'SUPPORT_SLA_PARKED_REFUND',
  MANUAL_AFTER_SALE: 'SUPPORT_SLA_MANUAL_AFTER_SALE',
  COMPLAINT_ARBITRATION: 'SUPPORT_SLA_COMPLAINT_ARBITRATION',
  RECONCILIATION_CASE: 'SUPPORT_SLA_RECONCILIATION_CASE',
  LATE_PAYMENT: 'SUPPORT_SLA_LATE_PAYMENT',
};

/**
 * Defaults: money a buyer is owed and cannot get (a parked refund, an unconfirmed late payment) within
 * a working day; a person's decision in a dispute within two; a bookkeeping difference within three.
 */
export const DEFAULT_SERVICE_LEVELS: Record<WorkKind, string> = {
  PARKED_REFUND: '8h',
  MANUAL_AFTER_SALE: '24h',
  COMPLAINT_ARBITRATION: '48h',
  RECONCILIATION_CASE: '72h',
  LATE_PAYMENT: '8h',
};

export type ServiceLevels = Record<WorkKind, number>;

/** One item waiting on support. `id` names it within its kind (refund sn, service sn, complaint id, case id, out_trade_no). */
export interface WorkItem {
  kind: WorkKind;
  id: string;
  orderSn: string | null;
  sellerId: number | null;
  buyerId: number | null;
  /** When it started waiting (the database's clock). */
  since: string;
  /** How long it has waited, by the database's clock, in milliseconds. */
  ageMs: number;
  /** The money it holds (integer fen). */
  amountFen: number;
  /** What the item is, in words. */
  summary: string;
  /** Whether the overdue marker has escalated it (its escalation row in the order log). */
  escalated: boolean;
}

/** Where an item is against its service level: the metric's age bucket. */
export type AgeBucket = 'within' | 'overdue' | 'overdue_2x';
export const AGE_BUCKETS: readonly AgeBucket[] = ['within', 'overdue', 'overdue_2x'];

export function ageBucket(ageMs: number, serviceLevelMs: number): AgeBucket {
  if (ageMs <= serviceLevelMs) return 'within';
  return ageMs > 2 * serviceLevelMs ? 'overdue_2x' : 'overdue';
}

export function isOverdue(item: Pick<WorkItem, 'kind' | 'ageMs'>, levels: ServiceLevels): boolean {
  return item.ageMs > levels[item.kind];
}

/** The workflow that holds an item (and carries its NeedsAttention mark), or null when none lives for it. */
export function workflowOfItem(item: Pick<WorkItem, 'kind' | 'id' | 'orderSn'>): string | null {
  switch (item.kind) {
    case 'PARKED_REFUND':
      return `refund-${item.id}`;
    case 'MANUAL_AFTER_SALE':
      return `after-sale-${item.id}`;
    case 'COMPLAINT_ARBITRATION':
      return `complaint-${item.id}`;
    default:
      // The reconciliation run and the late-payment check have finished: the order's workflow carries the mark.
      return item.orderSn ? `order-${item.orderSn}` : null;
  }
}

/** The existing endpoint that resolves an item. */
export function resolutionOf(item: Pick<WorkItem, 'kind' | 'id' | 'orderSn'>): { method: 'POST'; path: string; does: string } {
  switch (item.kind) {
    case 'PARKED_REFUND':
      return { method: 'POST', path: `/support/refunds/${item.id}/resolution`, does: 'mark refunded offline, re-issue under a new number, or retry' };
    case 'MANUAL_AFTER_SALE':
      return { method: 'POST', path: `/support/after-sales/${item.id}/decision`, does: 'refund an amount or close it' };
    case 'COMPLAINT_ARBITRATION':
      return { method: 'POST', path: `/support/complaints/${item.id}/arbitration`, does: 'decide, with or without a refund' };
    case 'RECONCILIATION_CASE':
      return { method: 'POST', path: `/reconciliation/differences/${item.id}/resolution`, does: 'close the case with a note' };
    case 'LATE_PAYMENT':
      return { method: 'POST', path: `/support/orders/${item.orderSn}/goodwill-refunds`, does: 'refund the buyer once the provider confirms the money arrived' };
  }
}

/** The order-log key of an item's escalation: unique per order, so an item is escalated once. */
export function escalationKey(item: Pick<WorkItem, 'kind' | 'id'>): string {
  return `support-escalation:${item.kind}:${item.id}`.slice(0, 160);
}

/** The escalation prefix, for readers that find escalated items. */
export const ESCALATION_KEY_PREFIX = 'support-escalation:';

/** The value of the NeedsAttention search attribute on an item's workflow: its kind. */
export const NEEDS_ATTENTION_ATTRIBUTE = 'NeedsAttention';
