import type { Queryable } from './queryable';

/**
 * The `provider_notification` inbox: verified provider results, deduplicated by (provider,
 * notification_id), then marked delivered once their workflow took them. Written only here.
 */

export interface InboxEntry {
  provider: string;
  notificationId: string;
  kind: string;
  outTradeNo: string;
  outRefundNo: string | null;
  payload: unknown;
}

/** Records the result once; returns whether it is new (a duplicate inserts nothing). */
export async function recordProviderNotification(db: Queryable, entry: InboxEntry): Promise<boolean> {
  const result = await db.query(
    `INSERT IGNORE INTO provider_notification (provider, notification_id, kind, out_trade_no, out_refund_no, payload_json) VALUES (?, ?, ?, ?, ?, ?)`,
    [entry.provider, entry.notificationId, entry.kind, entry.outTradeNo, entry.outRefundNo, JSON.stringify(entry.payload)],
  );
  return result.affectedRows === 1;
}

/** Whether the result was delivered to its workflow already. */
export async function providerNotificationDelivered(db: Queryable, provider: string, notificationId: string): Promise<boolean> {
  const [row] = await db.query('SELECT delivered_at FROM provider_notification WHERE provider = ? AND notification_id = ?', [provider, notificationId]);
  return Boolean(row?.delivered_at);
}

/** Its workflow took it. */
export async function markProviderNotificationDelivered(db: Queryable, provider: string, notificationId: string): Promise<void> {
  await db.query('UPDATE provider_notification SET delivered_at = CURRENT_TIMESTAMP(3) WHERE provider = ? AND notification_id = ?', [provider, notificationId]);
}
