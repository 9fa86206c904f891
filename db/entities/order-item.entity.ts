import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('order_item')
export class OrderItem {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ name: 'order_sn' }) orderSn!: string;
  @Column({ name: 'sku_id', type: 'bigint' }) skuId!: number;
  @Column() name!: string;
  @Column({ type: 'int' }) num!: number;
  @Column({ name: 'price_fen', type: 'int' }) priceFen!: number;
  @Column({ name: 'discount_fen', type: 'int' }) discountFen!: number;
  @Column({ name: 'paid_fen', type: 'int' }) paidFen!: number;
  @Column({ name: 'refundable_fen', type: 'int' }) refundableFen!: number;
}
