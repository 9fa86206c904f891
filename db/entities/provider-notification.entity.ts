import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Inbox of verified provider notifications; the unique (provider, notification_id) drops duplicates. */
@Entity('provider_notification')
export class ProviderNotificationRow {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column() provider!: string;
  @Column({ name: 'notification_id' }) notificationId!: string;
  @Column() kind!: string;
  @Column({ name: 'out_trade_no' }) outTradeNo!: string;
  @Column({ name: 'out_refund_no', type: 'varchar', nullable: true }) outRefundNo!: string | null;
  @Column({ name: 'payload_json', type: 'json' }) payload!: Record<string, unknown>;
  @Column({ name: 'received_at', type: 'datetime', precision: 3, insert: false, update: false }) receivedAt!: Date;
  @Column({ name: 'delivered_at', type: 'datetime', precision: 3, nullable: true }) deliveredAt!: Date | null;
}
