import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('trade')
export class Trade {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ name: 'trade_sn' }) tradeSn!: string;
  @Column({ name: 'buyer_id', type: 'bigint' }) buyerId!: number;
  @Column({ name: 'payment_type' }) paymentType!: string;
  @Column({ name: 'trade_status' }) tradeStatus!: string;
  @Column({ name: 'total_fen', type: 'int' }) totalFen!: number;
  @Column({ name: 'goods_fen', type: 'int' }) goodsFen!: number;
  @Column({ name: 'freight_fen', type: 'int' }) freightFen!: number;
  @Column({ name: 'discount_fen', type: 'int' }) discountFen!: number;
  @Column({ name: 'consignee_json', type: 'json', nullable: true }) consignee!: Record<string, unknown> | null;
  @Column({ name: 'idempotency_key', type: 'varchar', nullable: true }) idempotencyKey!: string | null;
  @Column({ name: 'request_hash', type: 'char', nullable: true }) requestHash!: string | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
}
