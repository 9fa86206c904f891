import type { DataSource } from 'typeorm';

/**
 * Bulk-seeded orders for the sweep test and benchmark: rows as a legacy import or a lost workflow
 * would leave them (no workflow, no items), in a chosen status with their clock columns set in the past.
 */
export interface OrderBatch {
  /** What the sweep should do with these rows, or 'untouched'. */
  expect: 'CANCELLED' | 'ROG' | 'COMPLETE' | 'PAID_OFF' | 'untouched';
  count: number;
  status: 'NEW' | 'CONFIRM' | 'SHIPPED' | 'ROG' | 'PAID_OFF' | 'COMPLETE' | 'CANCELLED';
  paymentType?: 'ONLINE' | 'COD';
  /** How long ago the status's clock column was set (created_at for NEW/CONFIRM). */
  agoMs: number;
}

export interface SeededOrder {
  orderSn: string;
  batch: number;
}

const DAY = 86_400_000;
export { DAY };

/** Inserts the batches in chunks of 1,000 rows; order numbers are `W{sellerId}{n}` so a test can select exactly its own. */
export async function seedOrders(dataSource: DataSource, sellerId: number, batches: readonly OrderBatch[]): Promise<SeededOrder[]> {
  const seeded: SeededOrder[] = [];
  const now = Date.now();
  let n = 0;
  const rows: unknown[][] = [];
  batches.forEach((batch, index) => {
    for (let i = 0; i < batch.count; i += 1) {
      n += 1;
      const orderSn = `W${sellerId}${String(n).padStart(7, '0')}`;
      seeded.push({ orderSn, batch: index });
      const at = new Date(now - batch.agoMs);
      const paid = ['PAID_OFF', 'COMPLETE'].includes(batch.status) || (batch.paymentType !== 'COD' && ['SHIPPED', 'ROG'].includes(batch.status));
      const shipped = ['SHIPPED', 'ROG', 'COMPLETE'].includes(batch.status) || (batch.status === 'PAID_OFF' && batch.paymentType === 'COD');
      const received = ['ROG', 'COMPLETE'].includes(batch.status) || (batch.status === 'PAID_OFF' && batch.paymentType === 'COD');
      // Every clock column before the status's own one lies further back, as in a real history.
      const created = ['NEW', 'CONFIRM', 'CANCELLED'].includes(batch.status) ? at : new Date(at.getTime() - 3 * DAY);
      rows.push([
        orderSn, `T${sellerId}${n}`.slice(0, 32), sellerId, sellerId + 500_000, batch.status,
        paid ? 'PAY_YES' : 'PAY_NO', received ? 'SHIP_ROG' : shipped ? 'SHIP_YES' : 'SHIP_NO', 'NOT_APPLY', 'UNFINISHED', 'NO_APPLY',
        batch.paymentType ?? 'ONLINE', 'NORMAL', 12900, 12900, paid ? 12900 : 0,
        created,
        paid ? (batch.status === 'PAID_OFF' ? at : new Date(created.getTime() + 60_000)) : null,
        shipped ? (batch.status === 'SHIPPED' ? at : new Date(created.getTime() + DAY)) : null,
        received ? (batch.status === 'ROG' ? at : batch.status === 'PAID_OFF' ? new Date(at.getTime() - 60_000) : new Date(created.getTime() + 2 * DAY)) : null,
      ]);
    }
  });
  for (let i = 0; i < rows.length; i += 1000) {
    await dataSource.query(
      `INSERT INTO orders (order_sn, trade_sn, seller_id, buyer_id, order_status, pay_status, ship_status, service_status, comment_status, complain_status,
         payment_type, order_type, order_fen, goods_fen, paid_fen, created_at, paid_at, shipped_at, received_at) VALUES ?`,
      [rows.slice(i, i + 1000)],
    );
  }
  return seeded;
}
