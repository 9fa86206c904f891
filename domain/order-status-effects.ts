/**
 * The pay, ship and service statuses an order operation implies besides the order status. The
 * transition activity writes them with the compare-and-set; the order workflow keeps the same values
 * in its state, so the live state and the row agree.
 *
 * Imported by workflow code: pure, deterministic, relative imports only.
 */
import { OrderOperate, PayStatus, ServiceStatus, ShipStatus } from './enums';

export interface ImpliedStatuses {
  payStatus?: PayStatus;
  shipStatus?: ShipStatus;
  serviceStatus?: ServiceStatus;
}

export function impliedStatuses(operation: OrderOperate): ImpliedStatuses {
  switch (operation) {
    case OrderOperate.PAY:
      return { payStatus: PayStatus.PAY_YES };
    case OrderOperate.SHIP:
      return { shipStatus: ShipStatus.SHIP_YES };
    case OrderOperate.ROG:
      // Receipt closes the whole-order cancel window (javashop sets service_status EXPIRED at ROG).
      return { shipStatus: ShipStatus.SHIP_ROG, serviceStatus: ServiceStatus.EXPIRED };
    case OrderOperate.SERVICE_CANCEL:
      // Cancelled after payment: the money is on its way back until the refund settles.
      return { payStatus: PayStatus.REFUNDING, serviceStatus: ServiceStatus.PASS };
    default:
      return {};
  }
}

/** A cancelled order's refund settled (by the provider or offline): what the row says from then on. */
export const REFUND_SETTLED = { payStatus: PayStatus.REFUNDED, serviceStatus: ServiceStatus.COMPLETE } as const satisfies ImpliedStatuses;
