import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('refund')
export class Refund {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ name: 'refund_sn' }) refundSn!: string;
  @Column({ name: 'cause_key' }) causeKey!: string;
  @Column({ name: 'order_sn' }) orderSn!: string;
  @Column() provider!: string;
  @Column({ name: 'out_trade_no' }) outTradeNo!: string;
  @Column({ name: 'refund_fen', type: 'int' }) refundFen!: number;
  @Column({ name: 'total_fen', type: 'int' }) totalFen!: number;
  @Column() reason!: string;
  @Column() status!: string;
  @Column({ name: 'provider_refund_id', type: 'varchar', nullable: true }) providerRefundId!: string | null;
  @Column({ name: 'failure_reason', type: 'varchar', nullable: true }) failureReason!: string | null;
  @Column({ name: 'offline_reference', type: 'varchar', nullable: true }) offlineReference!: string | null;
  @Column({ name: 'resolved_by', type: 'varchar', nullable: true }) resolvedBy!: string | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
  @Column({ name: 'submitted_at', type: 'datetime', precision: 3, nullable: true }) submittedAt!: Date | null;
  @Column({ name: 'succeeded_at', type: 'datetime', precision: 3, nullable: true }) succeededAt!: Date | null;
  @Column({ name: 'updated_at', type: 'datetime', precision: 3, insert: false, update: false }) updatedAt!: Date;
}
