import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One row per operation or workflow step: old → new status, who, and why. */
@Entity('order_log')
export class OrderLog {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ name: 'order_sn' }) orderSn!: string;
  @Column({ name: 'event_key' }) eventKey!: string;
  @Column() operation!: string;
  @Column({ name: 'old_status', type: 'varchar', nullable: true }) oldStatus!: string | null;
  @Column({ name: 'new_status', type: 'varchar', nullable: true }) newStatus!: string | null;
  @Column({ name: 'actor_role' }) actorRole!: string;
  @Column({ name: 'actor_id', type: 'varchar', nullable: true }) actorId!: string | null;
  @Column() message!: string;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
}
