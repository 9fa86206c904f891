import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('payment')
export class Payment {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  /** The order it pays; null for a trade payment (trade_sn, its orders in payment_share). */
  @Column({ name: 'order_sn', type: 'varchar', nullable: true }) orderSn!: string | null;
  @Column({ name: 'trade_sn', type: 'varchar', nullable: true }) tradeSn!: string | null;
  @Column() provider!: string;
  @Column({ name: 'out_trade_no' }) outTradeNo!: string;
  @Column({ name: 'amount_fen', type: 'int' }) amountFen!: number;
  @Column() status!: string;
  @Column({ name: 'transaction_id', type: 'varchar', nullable: true }) transactionId!: string | null;
  @Column({ name: 'code_url', type: 'varchar', nullable: true }) codeUrl!: string | null;
  @Column({ name: 'paid_after_cancel', type: 'boolean' }) paidAfterCancel!: boolean;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
  @Column({ name: 'paid_at', type: 'datetime', precision: 3, nullable: true }) paidAt!: Date | null;
}
