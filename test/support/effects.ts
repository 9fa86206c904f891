import { listWorkflowIds } from './complaints';
import type { TestSystem } from './system';

/**
 * What a caller can add to a workflow's history from outside: a start, a signal, an Update, an
 * options change, a cancel request. The workflow's own progress (timers, activities) is not counted,
 * so a snapshot stays comparable while the workflow waits or works on.
 */
const INBOUND_EVENTS = [
  'workflowExecutionStartedEventAttributes',
  'workflowExecutionSignaledEventAttributes',
  'workflowExecutionUpdateAdmittedEventAttributes',
  'workflowExecutionUpdateAcceptedEventAttributes',
  'workflowExecutionOptionsUpdatedEventAttributes',
  'workflowExecutionCancelRequestedEventAttributes',
];

/** Per workflow id: how many events of each inbound kind its history holds. */
export async function inboundEvents(system: TestSystem, workflowIds: string[]): Promise<Record<string, Record<string, number>>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const workflowId of workflowIds) {
    const history = await system.temporal.workflow.getHandle(workflowId).fetchHistory();
    const mine: Record<string, number> = {};
    for (const event of history.events ?? []) {
      const kind = INBOUND_EVENTS.find((name) => (event as Record<string, unknown>)[name] != null);
      if (kind) mine[kind] = (mine[kind] ?? 0) + 1;
    }
    counts[workflowId] = mine;
  }
  return counts;
}

/**
 * The workflows Temporal lists for an order (OrderSn search attribute): at least `atLeast`, and the
 * same list twice a second apart (visibility is eventually consistent).
 */
export async function workflowsOfOrder(system: TestSystem, orderSn: string, atLeast: number): Promise<string[]> {
  const list = () => listWorkflowIds(system, `OrderSn = '${orderSn}'`, (ids) => ids.length >= atLeast);
  let ids = await list();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const again = await list();
    if (JSON.stringify(again) === JSON.stringify(ids)) return ids;
    ids = again;
  }
}

/** Rows an order has in every table a request could write to, as comparable plain values. */
export async function orderRows(system: TestSystem, orderSns: string[]) {
  const query = (sql: string) => system.dataSource.query(sql, [orderSns]);
  return {
    orders: await query('SELECT order_sn, order_status, pay_status, service_status, order_fen, refunded_fen FROM orders WHERE order_sn IN (?) ORDER BY order_sn'),
    items: await query('SELECT id, order_sn, sku_id, num, paid_fen, refundable_fen FROM order_item WHERE order_sn IN (?) ORDER BY id'),
    orderLog: await query('SELECT order_sn, COUNT(*) AS n FROM order_log WHERE order_sn IN (?) GROUP BY order_sn ORDER BY order_sn'),
    orderMeta: await query('SELECT order_sn, COUNT(*) AS n FROM order_meta WHERE order_sn IN (?) GROUP BY order_sn ORDER BY order_sn'),
    stockMovements: await query('SELECT order_sn, sku_id, kind, quantity FROM stock_movement WHERE order_sn IN (?) ORDER BY id'),
    refunds: await query('SELECT refund_sn, order_sn, status, refund_fen, cause_key FROM refund WHERE order_sn IN (?) ORDER BY id'),
    cancellations: await query('SELECT id, order_sn, status, response_json FROM cancellation_request WHERE order_sn IN (?) ORDER BY id'),
    afterSales: await query('SELECT service_sn, order_sn, status, requested_fen, response_json FROM after_sale WHERE order_sn IN (?) ORDER BY id'),
    afterSaleItems: await query('SELECT service_sn, order_item_id, num, amount_fen FROM after_sale_item WHERE order_sn IN (?) ORDER BY id'),
    afterSaleLog: await query('SELECT l.service_sn, COUNT(*) AS n FROM after_sale_log l JOIN after_sale a ON a.service_sn = l.service_sn WHERE a.order_sn IN (?) GROUP BY l.service_sn ORDER BY l.service_sn'),
    goodwill: await query('SELECT id, order_sn, status, refund_fen, refund_sn, response_json FROM goodwill_refund WHERE order_sn IN (?) ORDER BY id'),
  };
}

/** A buyer's trades, orders, coupons and each SKU's stock. */
export async function buyerRows(system: TestSystem, buyerId: number, skuIds: number[]) {
  const query = (sql: string, params: unknown[]) => system.dataSource.query(sql, params);
  return {
    trades: await query('SELECT trade_sn, total_fen, idempotency_key FROM trade WHERE buyer_id = ? ORDER BY id', [buyerId]),
    orders: await query('SELECT order_sn, trade_sn, order_status FROM orders WHERE buyer_id = ? ORDER BY id', [buyerId]),
    coupons: await query('SELECT id, status, order_sn FROM member_coupon WHERE buyer_id = ? ORDER BY id', [buyerId]),
    goods: await query('SELECT id, quantity, available_quantity, sales_count FROM goods WHERE id IN (?) ORDER BY id', [skuIds]),
    groupBuys: await query('SELECT group_id, status FROM group_buy WHERE group_id IN (SELECT group_id FROM orders WHERE buyer_id = ?) ORDER BY group_id', [buyerId]),
  };
}
