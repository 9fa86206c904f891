/**
 * The order timer rules: which status waits how long, from which timestamp, in which flows, and what
 * happens when the wait is over (javashop's daily OrderStatusCheckJob tasks). The order workflow's
 * timers and the daily sweep's SQL both read this one table, so a rule cannot drift between them.
 *
 * Imported by workflow code: pure, deterministic, relative imports only.
 */
import { Actor, OrderOperate, OrderStatus } from './enums';
import { FlowType } from './order-flow';
import type { OrderSettings } from './order-settings';

/** The sweep's task names, after the javashop job tasks they replace (cancelTask, rogTask, completeTask, payTask). */
export type TimerTask = 'cancel' | 'rog' | 'complete' | 'pay';

/** The order timestamp a timer runs from (the Order entity's field of the same name). */
export type TimerClock = 'createdAt' | 'shippedAt' | 'receivedAt' | 'paidAt' | 'completedAt';

/**
 * Which flows a rule applies to: COD and replacement orders are never auto-cancelled (unpaid by
 * design); ROG splits into complete (paid up front, or free) and pay (COD).
 */
export type TimerFlows = readonly FlowType[];

const { ONLINE, COD, PINTUAN, REPLACEMENT } = FlowType;
const PAID_UP_FRONT: TimerFlows = [ONLINE, PINTUAN];

export interface OrderTimerRule {
  /** Stable name: the sweep's position and its handover rows use it. */
  key: string;
  task: TimerTask;
  status: OrderStatus;
  flows: TimerFlows;
  /** How long the order waits in `status`, from `clock`. */
  delay: keyof OrderSettings;
  clock: TimerClock;
  /** What the timer does when it fires, performed as actor SYSTEM_TIMER through the flow table. */
  operation: OrderOperate;
  /** For the order log (the javashop setting name in brackets). */
  message: string;
}

export const ORDER_TIMER_RULES: readonly OrderTimerRule[] = [
  { key: 'cancel:NEW', task: 'cancel', status: OrderStatus.NEW, flows: PAID_UP_FRONT, delay: 'cancelOrderMs', clock: 'createdAt', operation: OrderOperate.CANCEL, message: 'not paid in time (cancel_order_day)' },
  { key: 'cancel:CONFIRM', task: 'cancel', status: OrderStatus.CONFIRM, flows: PAID_UP_FRONT, delay: 'cancelOrderMs', clock: 'createdAt', operation: OrderOperate.CANCEL, message: 'not paid in time (cancel_order_day)' },
  { key: 'rog:SHIPPED', task: 'rog', status: OrderStatus.SHIPPED, flows: [ONLINE, COD, PINTUAN, REPLACEMENT], delay: 'rogOrderMs', clock: 'shippedAt', operation: OrderOperate.ROG, message: 'received automatically (rog_order_day)' },
  { key: 'complete:ROG', task: 'complete', status: OrderStatus.ROG, flows: [ONLINE, PINTUAN, REPLACEMENT], delay: 'completeOrderMs', clock: 'receivedAt', operation: OrderOperate.COMPLETE, message: 'completed automatically (complete_order_day)' },
  { key: 'pay:ROG', task: 'pay', status: OrderStatus.ROG, flows: [COD], delay: 'completeOrderPayMs', clock: 'receivedAt', operation: OrderOperate.PAY, message: 'cash on delivery marked paid (complete_order_pay)' },
  { key: 'complete:PAID_OFF', task: 'complete', status: OrderStatus.PAID_OFF, flows: [COD], delay: 'completeOrderMs', clock: 'paidAt', operation: OrderOperate.COMPLETE, message: 'completed automatically (complete_order_day)' },
];

/** The actor every timer acts as. */
export const TIMER_ACTOR = Actor.SYSTEM_TIMER;

export function timerAppliesTo(rule: OrderTimerRule, flow: FlowType): boolean {
  return rule.flows.includes(flow);
}

/** The timer that runs while an order of `flow` is in `status`, if any. */
export function timerRuleFor(flow: FlowType, status: OrderStatus): OrderTimerRule | undefined {
  return ORDER_TIMER_RULES.find((rule) => rule.status === status && timerAppliesTo(rule, flow));
}

/** When the timer fires, given when its clock started. */
export function timerDueAtMs(rule: OrderTimerRule, settings: OrderSettings, clockStartMs: number): number {
  return clockStartMs + settings[rule.delay];
}

/** The sweep's cut-off: an order whose clock started before this instant is overdue as of `asOfMs`. */
export function timerOverdueBeforeMs(rule: OrderTimerRule, settings: OrderSettings, asOfMs: number): number {
  return asOfMs - settings[rule.delay];
}

/** The status whose entry starts each clock (the workflow keeps when it entered each status). */
export const CLOCK_STARTED_BY: Record<TimerClock, OrderStatus> = {
  createdAt: OrderStatus.NEW,
  shippedAt: OrderStatus.SHIPPED,
  receivedAt: OrderStatus.ROG,
  paidAt: OrderStatus.PAID_OFF,
  completedAt: OrderStatus.COMPLETE,
};

/** The windows that close after completion without changing the order status (the order row's window columns). */
export type OrderWindow = 'comment' | 'complaint' | 'after-sale';

/**
 * When a completed order's windows close (javashop's commentTask, complainTask and serviceTask): the
 * order workflow's window timers after COMPLETE and the daily sweep's safety net both read this table.
 * The clock falls back to completion when it is unknown (legacy rows without shipped_at).
 */
export interface OrderWindowRule {
  window: OrderWindow;
  clock: Extract<TimerClock, 'shippedAt' | 'completedAt'>;
  delay: keyof OrderSettings;
}

/** In closing order when their times tie (the workflow closes them in this order). */
export const ORDER_WINDOW_RULES: readonly OrderWindowRule[] = [
  { window: 'comment', clock: 'shippedAt', delay: 'commentOrderMs' },
  { window: 'complaint', clock: 'completedAt', delay: 'complainExpiredMs' },
  { window: 'after-sale', clock: 'completedAt', delay: 'serviceExpiredMs' },
];

/** When `rule`'s window closes for an order completed at `completedAtMs` (shipped at `shippedAtMs`, if known). */
export function windowClosesAtMs(rule: OrderWindowRule, settings: OrderSettings, clocks: { completedAtMs: number; shippedAtMs?: number }): number {
  const start = rule.clock === 'shippedAt' ? (clocks.shippedAtMs ?? clocks.completedAtMs) : clocks.completedAtMs;
  return start + settings[rule.delay];
}
