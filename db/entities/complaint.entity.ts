import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One complaint; its status is written only by its workflow (`complaint-{id}`). */
@Entity('complaint')
export class Complaint {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ name: 'order_sn' }) orderSn!: string;
  @Column({ name: 'sku_id', type: 'bigint' }) skuId!: number;
  @Column({ name: 'buyer_id', type: 'bigint' }) buyerId!: number;
  @Column({ name: 'seller_id', type: 'bigint' }) sellerId!: number;
  @Column() topic!: string;
  @Column({ type: 'text' }) content!: string;
  @Column() status!: string;
  /** `{orderSn}:{skuId}` while open, NULL once closed: unique, so a line has one open complaint. */
  @Column({ name: 'open_line_key', type: 'varchar', nullable: true }) openLineKey!: string | null;
  @Column({ name: 'appeal_content', type: 'text', nullable: true }) appealContent!: string | null;
  @Column({ name: 'arbitration_result', type: 'text', nullable: true }) arbitrationResult!: string | null;
  @Column({ name: 'refund_fen', type: 'int', nullable: true }) refundFen!: number | null;
  @Column({ name: 'refund_sn', type: 'varchar', nullable: true }) refundSn!: string | null;
  @Column({ name: 'closed_reason', type: 'varchar', nullable: true }) closedReason!: string | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
}

@Entity('complaint_message')
export class ComplaintMessage {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ name: 'complaint_id', type: 'bigint' }) complaintId!: number;
  /** The workflow step that posted it; unique per complaint. */
  @Column({ name: 'message_key', type: 'varchar', nullable: true }) messageKey!: string | null;
  @Column({ name: 'owner_role' }) ownerRole!: string;
  @Column({ name: 'owner_id', type: 'bigint' }) ownerId!: number;
  @Column({ type: 'text' }) content!: string;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
}
