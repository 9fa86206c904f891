import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

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
  @Column({ name: 'arbitration_result', type: 'text', nullable: true }) arbitrationResult!: string | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
}

@Entity('complaint_message')
export class ComplaintMessage {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ name: 'complaint_id', type: 'bigint' }) complaintId!: number;
  @Column({ name: 'owner_role' }) ownerRole!: string;
  @Column({ name: 'owner_id', type: 'bigint' }) ownerId!: number;
  @Column({ type: 'text' }) content!: string;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
}
