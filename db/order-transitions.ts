import { OrderStatus } from '../domain';
import type { Queryable } from './queryable';

/**
 * The order workflow's writes of `orders`: its statuses (order, pay, ship, service, comment, complain)
 * and the columns a transition sets with them. The order workflow's activities
 * (activities/order-transitions.ts) are their only caller; call inside their step (runStep).
 */

/** Compare-and-set: the columns, only while the order is still in `from`. Returns whether it matched. */
export async function compareAndSetOrder(manager: Queryable, orderSn: string, from: OrderStatus, set: Record<string, unknown>): Promise<boolean> {
  const assignments = Object.keys(set).map((column) => `${column} = ?`);
  const result = await manager.query(
    `UPDATE orders SET ${assignments.join(', ')} WHERE order_sn = ? AND order_status = ?`,
    [...Object.values(set), orderSn, from],
  );
  return result.affectedRows === 1;
}

/** A window column from its open value to its closed value, once. Returns whether this call closed it. */
export async function closeOrderWindowColumn(manager: Queryable, orderSn: string, window: { column: string; from: string; to: string }): Promise<boolean> {
  const updated = await manager.query(`UPDATE orders SET ${window.column} = ? WHERE order_sn = ? AND ${window.column} = ?`, [window.to, orderSn, window.from]);
  return updated.affectedRows === 1;
}

/** The order's service status (after-sale opened or closed); a cancelled order's row is not touched. */
export async function setOrderServiceStatus(manager: Queryable, orderSn: string, serviceStatus: string): Promise<void> {
  await manager.query('UPDATE orders SET service_status = ? WHERE order_sn = ? AND order_status <> ?', [serviceStatus, orderSn, OrderStatus.CANCELLED]);
}

/** The order's status, locked; undefined when there is no such order. */
export async function lockOrderStatus(manager: Queryable, orderSn: string): Promise<{ order_status: OrderStatus } | undefined> {
  const [order] = await manager.query('SELECT order_status FROM orders WHERE order_sn = ? FOR UPDATE', [orderSn]);
  return order;
}

/**
 * A won cancel's money is back: the pay and service statuses it settles to, only while the order's pay
 * status is still `fromPayStatus` (REFUNDING). Returns whether this call settled it.
 */
export async function settleOrderPayStatus(manager: Queryable, orderSn: string, set: Record<string, unknown>, fromPayStatus: string): Promise<boolean> {
  const settled = await manager.query(
    `UPDATE orders SET ${Object.keys(set).map((c) => `${c} = ?`).join(', ')} WHERE order_sn = ? AND pay_status = ?`,
    [...Object.values(set), orderSn, fromPayStatus],
  );
  return settled.affectedRows === 1;
}
