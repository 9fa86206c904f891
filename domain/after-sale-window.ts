/**
 * Whether an order may take an after-sale application now (issue 10, point 2): the one rule behind
 * the API's fast 409 and the order workflow's Update validator (the authority).
 *
 * - Only once the goods have left the shop: SHIPPED, ROG or COMPLETE. Before shipment the buyer
 *   cancels the whole order instead (the existing cancellation refunds everything).
 * - Cash on delivery: only once the cash was collected (PAID_OFF, which COD reaches at the door, or
 *   COMPLETE). An unpaid COD parcel is refused at the door, and there is no money to give back.
 * - Replacement orders (exchange / re-ship, flow REPLACEMENT) never: they are free, and a problem with
 *   one is an after-sale on the order it replaces.
 * - After completion only within the after-sale window, `service_expired_day` (serviceExpiredMs)
 *   after completion — javashop's serviceTask closes the same window.
 * - Never while a whole-order cancellation is under way or done (service status PASS / COMPLETE).
 *
 * Imported by workflow code: pure, deterministic, relative imports only.
 */
import { OrderStatus, ServiceStatus } from './enums';
import { FlowType } from './order-flow';
import type { OrderSettings } from './order-settings';
import { chinaDateOf } from './reconciliation';

export interface AfterSaleApplyContext {
  flow: FlowType;
  status: OrderStatus;
  /** The order row's service_status (or the order workflow's own copy of it). */
  serviceStatus?: ServiceStatus | string;
  /** When the order completed; required for a COMPLETE order (its window runs from it). */
  completedAtMs?: number;
  settings: Pick<OrderSettings, 'serviceExpiredMs'>;
  nowMs: number;
}

/** The statuses, per flow, in which the goods are with (or on their way to) a buyer who paid. */
export const AFTER_SALE_STATUSES: Readonly<Record<FlowType, readonly OrderStatus[]>> = {
  ONLINE: [OrderStatus.SHIPPED, OrderStatus.ROG, OrderStatus.COMPLETE],
  PINTUAN: [OrderStatus.SHIPPED, OrderStatus.ROG, OrderStatus.COMPLETE],
  COD: [OrderStatus.PAID_OFF, OrderStatus.COMPLETE],
  REPLACEMENT: [],
};

/** When a completed order's after-sale window closes. */
export function afterSaleWindowClosesAtMs(completedAtMs: number, settings: Pick<OrderSettings, 'serviceExpiredMs'>): number {
  return completedAtMs + settings.serviceExpiredMs;
}

/** Why no after-sale may be applied for now, in words fit for a 409; undefined when one may. */
export function afterSaleApplyRefusal(context: AfterSaleApplyContext): string | undefined {
  const { flow, status, serviceStatus, completedAtMs, settings, nowMs } = context;
  const allowed = AFTER_SALE_STATUSES[flow];
  if (!allowed) return `unknown order flow "${String(flow)}"`;
  if (flow === FlowType.REPLACEMENT) return 'a replacement order (exchange or re-ship) takes no after-sale: apply on the order it replaces';
  if (serviceStatus === ServiceStatus.PASS || serviceStatus === ServiceStatus.COMPLETE || status === OrderStatus.CANCELLED) {
    return 'the order is cancelled (or being cancelled): its refund covers it';
  }
  if (!allowed.includes(status)) {
    if (status === OrderStatus.INTODB_ERROR) return 'order is INTODB_ERROR: nothing was ever sold';
    if (flow === FlowType.COD && (status === OrderStatus.SHIPPED || status === OrderStatus.ROG)) {
      return `order is ${status}: a cash-on-delivery order takes an after-sale once the cash was collected`;
    }
    if (status === OrderStatus.AFTER_SERVICE) return 'order is AFTER_SERVICE: not a status this system sets; support must look at it';
    return `order is ${status}: not shipped yet, cancel the order instead of applying for an after-sale`;
  }
  if (status === OrderStatus.COMPLETE) {
    if (completedAtMs === undefined) return 'order is COMPLETE but its completion time is unknown, so its after-sale window cannot be checked';
    const closesAtMs = afterSaleWindowClosesAtMs(completedAtMs, settings);
    if (nowMs >= closesAtMs) return `the after-sale window closed on ${chinaDateOf(closesAtMs)} (China time; service_expired_day after completion)`;
  }
  return undefined;
}

/**
 * The order-level service status (orders.service_status) an order shows, given how many after-sales
 * are open on it. The order workflow writes it (the only writer), when the first opens and when the
 * last closes:
 *
 * - APPLY while at least one after-sale is open (javashop's "applied"; whole-order cancel refused);
 * - afterwards EXPIRED once the goods were received (ROG sets it, as javashop does, because the
 *   whole-order cancel window closed at receipt; COD reaches PAID_OFF at the door), else NOT_APPLY.
 *
 * The order status itself does not change (no AFTER_SERVICE): it keeps saying how far delivery got,
 * which the order's timers, reviews and complaints read, and several after-sales may be open at once.
 */
export function orderServiceStatusWithAfterSales(context: { flow: FlowType; status: OrderStatus; openAfterSales: number }): ServiceStatus {
  if (context.openAfterSales > 0) return ServiceStatus.APPLY;
  const received = context.status === OrderStatus.ROG || context.status === OrderStatus.COMPLETE || (context.flow === FlowType.COD && context.status === OrderStatus.PAID_OFF);
  return received ? ServiceStatus.EXPIRED : ServiceStatus.NOT_APPLY;
}
