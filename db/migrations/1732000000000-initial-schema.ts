import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole schema the order, cancellation, refund and sweep work needs.
 * Money is integer fen (INT, never DECIMAL/FLOAT). Every effect that must happen once has a unique key,
 * so a retried activity hits the key and becomes a no-op instead of repeating the effect.
 */
export class InitialSchema1732000000000 implements MigrationInterface {
  name = 'InitialSchema1732000000000';

  async up(q: QueryRunner): Promise<void> {
    const table = (sql: string) => q.query(`${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);

    // Goods: one row per SKU. available_quantity is what buyers can still reserve; quantity is on hand
    // (it drops at shipment). Both only ever change together with a stock_movement row.
    await table(`CREATE TABLE goods (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      seller_id BIGINT NOT NULL,
      name VARCHAR(200) NOT NULL,
      price_fen INT NOT NULL,
      quantity INT NOT NULL,
      available_quantity INT NOT NULL,
      sales_count INT NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      KEY idx_goods_seller (seller_id),
      CONSTRAINT chk_goods_stock CHECK (available_quantity >= 0 AND quantity >= 0 AND sales_count >= 0 AND price_fen >= 0)
    )`);

    // One checkout; holds one order per seller. (buyer_id, idempotency_key) makes a retried POST /trades a replay.
    await table(`CREATE TABLE trade (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      trade_sn VARCHAR(32) NOT NULL,
      buyer_id BIGINT NOT NULL,
      payment_type VARCHAR(16) NOT NULL,
      trade_status VARCHAR(16) NOT NULL,
      total_fen INT NOT NULL,
      goods_fen INT NOT NULL,
      freight_fen INT NOT NULL DEFAULT 0,
      discount_fen INT NOT NULL DEFAULT 0,
      consignee_json JSON NULL,
      idempotency_key VARCHAR(128) NULL,
      request_hash CHAR(64) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_trade_sn (trade_sn),
      UNIQUE KEY uk_trade_idempotency (buyer_id, idempotency_key)
    )`);

    // One shop order. Status columns follow the javashop enums; every change is a conditional UPDATE
    // (WHERE order_status IN (...)) done by the order's workflow, never a blind write.
    await table(`CREATE TABLE orders (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_sn VARCHAR(32) NOT NULL,
      trade_sn VARCHAR(32) NOT NULL,
      seller_id BIGINT NOT NULL,
      buyer_id BIGINT NOT NULL,
      order_status VARCHAR(16) NOT NULL,
      pay_status VARCHAR(16) NOT NULL,
      ship_status VARCHAR(16) NOT NULL,
      service_status VARCHAR(16) NOT NULL,
      comment_status VARCHAR(16) NOT NULL,
      complain_status VARCHAR(16) NOT NULL,
      payment_type VARCHAR(16) NOT NULL,
      order_type VARCHAR(16) NOT NULL,
      payment_provider VARCHAR(16) NULL,
      pay_order_no VARCHAR(64) NULL,
      order_fen INT NOT NULL,
      goods_fen INT NOT NULL,
      shipping_fen INT NOT NULL DEFAULT 0,
      discount_fen INT NOT NULL DEFAULT 0,
      paid_fen INT NOT NULL DEFAULT 0,
      refunded_fen INT NOT NULL DEFAULT 0,
      group_id VARCHAR(40) NULL,
      cancel_reason VARCHAR(255) NULL,
      ship_carrier VARCHAR(64) NULL,
      ship_no VARCHAR(64) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      paid_at DATETIME(3) NULL,
      shipped_at DATETIME(3) NULL,
      received_at DATETIME(3) NULL,
      completed_at DATETIME(3) NULL,
      cancelled_at DATETIME(3) NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_orders_sn (order_sn),
      KEY idx_orders_trade (trade_sn),
      KEY idx_orders_seller (seller_id, order_status, id),
      KEY idx_orders_buyer (buyer_id, id),
      KEY idx_orders_status (order_status, pay_status, ship_status),
      KEY idx_orders_group (group_id)
    )`);

    await table(`CREATE TABLE order_item (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_sn VARCHAR(32) NOT NULL,
      sku_id BIGINT NOT NULL,
      name VARCHAR(200) NOT NULL,
      num INT NOT NULL,
      price_fen INT NOT NULL,
      refundable_fen INT NOT NULL,
      UNIQUE KEY uk_order_item (order_sn, sku_id),
      CONSTRAINT chk_order_item CHECK (num > 0 AND price_fen >= 0 AND refundable_fen >= 0)
    )`);

    await table(`CREATE TABLE order_meta (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_sn VARCHAR(32) NOT NULL,
      meta_key VARCHAR(32) NOT NULL,
      meta_value TEXT NOT NULL,
      UNIQUE KEY uk_order_meta (order_sn, meta_key)
    )`);

    // One row per operation or workflow step. event_key names the step, so a retried activity
    // cannot log the same step twice.
    await table(`CREATE TABLE order_log (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_sn VARCHAR(32) NOT NULL,
      event_key VARCHAR(160) NOT NULL,
      operation VARCHAR(32) NOT NULL,
      old_status VARCHAR(16) NULL,
      new_status VARCHAR(16) NULL,
      actor_role VARCHAR(16) NOT NULL,
      actor_id VARCHAR(64) NULL,
      message VARCHAR(500) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_order_log_event (order_sn, event_key),
      KEY idx_order_log_order (order_sn, id)
    )`);

    // Ledger of every stock and sales effect. The unique key (order, sku, kind) is what makes
    // "restore stock exactly once" and "take back sales exactly once" hold under retries.
    await table(`CREATE TABLE stock_movement (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_sn VARCHAR(32) NOT NULL,
      sku_id BIGINT NOT NULL,
      kind VARCHAR(16) NOT NULL,
      quantity INT NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_stock_movement (order_sn, sku_id, kind),
      KEY idx_stock_movement_sku (sku_id)
    )`);

    // A payment attempt at one provider. out_trade_no is what the provider knows the order by.
    await table(`CREATE TABLE payment (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_sn VARCHAR(32) NOT NULL,
      provider VARCHAR(16) NOT NULL,
      out_trade_no VARCHAR(64) NOT NULL,
      amount_fen INT NOT NULL,
      status VARCHAR(16) NOT NULL,
      transaction_id VARCHAR(64) NULL,
      paid_after_cancel TINYINT(1) NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      paid_at DATETIME(3) NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_payment_out_trade_no (out_trade_no),
      UNIQUE KEY uk_payment_order_provider (order_sn, provider)
    )`);

    // A refund. refund_sn is the out_refund_no / out_request_no sent to the provider: created and
    // committed before the first call, reused on every retry. cause_key makes "create the refund for
    // this cause" idempotent (e.g. cancel:{cancellationId}:1; a support retry after CLOSED is :2).
    await table(`CREATE TABLE refund (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      refund_sn VARCHAR(64) NOT NULL,
      cause_key VARCHAR(120) NOT NULL,
      order_sn VARCHAR(32) NOT NULL,
      provider VARCHAR(16) NOT NULL,
      out_trade_no VARCHAR(64) NOT NULL,
      refund_fen INT NOT NULL,
      total_fen INT NOT NULL,
      reason VARCHAR(80) NOT NULL,
      status VARCHAR(20) NOT NULL,
      provider_refund_id VARCHAR(64) NULL,
      failure_reason VARCHAR(255) NULL,
      offline_reference VARCHAR(128) NULL,
      resolved_by VARCHAR(64) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      submitted_at DATETIME(3) NULL,
      succeeded_at DATETIME(3) NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_refund_sn (refund_sn),
      UNIQUE KEY uk_refund_cause (cause_key),
      KEY idx_refund_order (order_sn),
      KEY idx_refund_status (status, updated_at),
      CONSTRAINT chk_refund_amount CHECK (refund_fen > 0 AND refund_fen <= total_fen)
    )`);

    // The seed's req_order_ops: one row per cancel request. (actor, idempotency_key) replays a retried
    // HTTP call; request_hash tells a replay from a different body under the same key (422).
    await table(`CREATE TABLE cancellation_request (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_sn VARCHAR(32) NOT NULL,
      actor_role VARCHAR(16) NOT NULL,
      actor_id VARCHAR(64) NOT NULL,
      idempotency_key VARCHAR(128) NOT NULL,
      request_hash CHAR(64) NOT NULL,
      reason VARCHAR(255) NOT NULL,
      status VARCHAR(20) NOT NULL,
      workflow_id VARCHAR(80) NULL,
      response_json JSON NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_cancellation_idempotency (actor_role, actor_id, idempotency_key),
      KEY idx_cancellation_order (order_sn)
    )`);

    // Inbox of verified provider notifications; (provider, notification_id) drops duplicates.
    await table(`CREATE TABLE provider_notification (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      provider VARCHAR(16) NOT NULL,
      notification_id VARCHAR(128) NOT NULL,
      kind VARCHAR(16) NOT NULL,
      out_trade_no VARCHAR(64) NOT NULL,
      out_refund_no VARCHAR(64) NULL,
      payload_json JSON NOT NULL,
      received_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      delivered_at DATETIME(3) NULL,
      UNIQUE KEY uk_provider_notification (provider, notification_id),
      KEY idx_provider_notification_trade (out_trade_no)
    )`);

    await table(`CREATE TABLE complaint (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_sn VARCHAR(32) NOT NULL,
      sku_id BIGINT NOT NULL,
      buyer_id BIGINT NOT NULL,
      seller_id BIGINT NOT NULL,
      topic VARCHAR(100) NOT NULL,
      content TEXT NOT NULL,
      status VARCHAR(20) NOT NULL,
      arbitration_result TEXT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      KEY idx_complaint_order (order_sn)
    )`);

    await table(`CREATE TABLE complaint_message (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      complaint_id BIGINT NOT NULL,
      owner_role VARCHAR(16) NOT NULL,
      owner_id BIGINT NOT NULL,
      content TEXT NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      KEY idx_complaint_message (complaint_id, id),
      CONSTRAINT fk_complaint_message FOREIGN KEY (complaint_id) REFERENCES complaint (id)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const name of [
      'complaint_message', 'complaint', 'provider_notification', 'cancellation_request', 'refund', 'payment',
      'stock_movement', 'order_log', 'order_meta', 'order_item', 'orders', 'trade', 'goods',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${name}`);
    }
  }
}
