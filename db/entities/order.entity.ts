import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A shop order (javashop es_order). Status columns hold the domain enums' string values. */
@Entity('orders')
export class Order {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ name: 'order_sn' }) orderSn!: string;
  @Column({ name: 'trade_sn' }) tradeSn!: string;
  @Column({ name: 'seller_id', type: 'bigint' }) sellerId!: number;
  @Column({ name: 'buyer_id', type: 'bigint' }) buyerId!: number;
  @Column({ name: 'order_status' }) orderStatus!: string;
  @Column({ name: 'pay_status' }) payStatus!: string;
  @Column({ name: 'ship_status' }) shipStatus!: string;
  @Column({ name: 'service_status' }) serviceStatus!: string;
  @Column({ name: 'comment_status' }) commentStatus!: string;
  @Column({ name: 'complain_status' }) complainStatus!: string;
  @Column({ name: 'payment_type' }) paymentType!: string;
  @Column({ name: 'order_type' }) orderType!: string;
  @Column({ name: 'payment_provider', type: 'varchar', nullable: true }) paymentProvider!: string | null;
  @Column({ name: 'pay_order_no', type: 'varchar', nullable: true }) payOrderNo!: string | null;
  @Column({ name: 'order_fen', type: 'int' }) orderFen!: number;
  @Column({ name: 'goods_fen', type: 'int' }) goodsFen!: number;
  @Column({ name: 'shipping_fen', type: 'int' }) shippingFen!: number;
  @Column({ name: 'discount_fen', type: 'int' }) discountFen!: number;
  @Column({ name: 'paid_fen', type: 'int' }) paidFen!: number;
  @Column({ name: 'refunded_fen', type: 'int' }) refundedFen!: number;
  @Column({ name: 'group_id', type: 'varchar', nullable: true }) groupId!: string | null;
  /** Replacement orders (CHANGE / SUPPLY_AGAIN): the order they replace and the after-sale that asked for them. */
  @Column({ name: 'source_order_sn', type: 'varchar', nullable: true }) sourceOrderSn!: string | null;
  @Column({ name: 'source_service_sn', type: 'varchar', nullable: true }) sourceServiceSn!: string | null;
  @Column({ name: 'cancel_reason', type: 'varchar', nullable: true }) cancelReason!: string | null;
  @Column({ name: 'ship_carrier', type: 'varchar', nullable: true }) shipCarrier!: string | null;
  @Column({ name: 'ship_no', type: 'varchar', nullable: true }) shipNo!: string | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
  @Column({ name: 'paid_at', type: 'datetime', precision: 3, nullable: true }) paidAt!: Date | null;
  @Column({ name: 'shipped_at', type: 'datetime', precision: 3, nullable: true }) shippedAt!: Date | null;
  @Column({ name: 'received_at', type: 'datetime', precision: 3, nullable: true }) receivedAt!: Date | null;
  @Column({ name: 'completed_at', type: 'datetime', precision: 3, nullable: true }) completedAt!: Date | null;
  @Column({ name: 'cancelled_at', type: 'datetime', precision: 3, nullable: true }) cancelledAt!: Date | null;
}
