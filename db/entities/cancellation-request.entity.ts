import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The seed's req_order_ops: a seller's (or support's) request to cancel an order. */
@Entity('cancellation_request')
export class CancellationRequest {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ name: 'order_sn' }) orderSn!: string;
  @Column({ name: 'actor_role' }) actorRole!: string;
  @Column({ name: 'actor_id' }) actorId!: string;
  @Column({ name: 'idempotency_key' }) idempotencyKey!: string;
  @Column({ name: 'request_hash' }) requestHash!: string;
  @Column() reason!: string;
  @Column() status!: string;
  @Column({ name: 'workflow_id', type: 'varchar', nullable: true }) workflowId!: string | null;
  @Column({ name: 'refusal_code', type: 'varchar', nullable: true }) refusalCode!: string | null;
  @Column({ name: 'refusal_reason', type: 'varchar', nullable: true }) refusalReason!: string | null;
  @Column({ name: 'response_json', type: 'json', nullable: true }) response!: Record<string, unknown> | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'datetime', precision: 3, insert: false, update: false }) updatedAt!: Date;
}
