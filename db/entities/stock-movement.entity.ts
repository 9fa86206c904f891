import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Kinds: RESERVE (available −n at order creation), RELEASE (available +n on unpaid cancel),
 * RESTORE (available +n on paid cancel), SHIP (on hand −n), SALE (sales +n at payment),
 * SALE_REVERSAL (sales −n on cancellation), RETURN_RESTOCK (on hand and available +n for good returned
 * units), SALE_RETURN (sales −n for units an after-sale returned or refunded). Unique per (order, sku, kind, cause).
 */
@Entity('stock_movement')
export class StockMovement {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ name: 'order_sn' }) orderSn!: string;
  @Column({ name: 'sku_id', type: 'bigint' }) skuId!: number;
  @Column() kind!: string;
  /** '' for the order's own movements; `after-sale:{serviceSn}` for an after-sale's. */
  @Column() cause!: string;
  @Column({ type: 'int' }) quantity!: number;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
}
