import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('goods')
export class Goods {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ name: 'seller_id', type: 'bigint' }) sellerId!: number;
  @Column() name!: string;
  @Column({ name: 'price_fen', type: 'int' }) priceFen!: number;
  @Column({ type: 'int' }) quantity!: number;
  @Column({ name: 'available_quantity', type: 'int' }) availableQuantity!: number;
  @Column({ name: 'sales_count', type: 'int' }) salesCount!: number;
  @Column({ name: 'created_at', type: 'datetime', precision: 3, insert: false, update: false }) createdAt!: Date;
}
