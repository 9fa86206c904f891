import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Order } from '../../../db/entities';
import type { Principal } from '../auth/principal';

/**
 * Object-level authorisation in the data layer: buyers and sellers only ever load their own orders.
 * Another party's order is "not found" (404), so order numbers cannot be probed.
 */
@Injectable()
export class OrderAccess {
  constructor(private readonly dataSource: DataSource) {}

  async load(principal: Principal, orderSn: string): Promise<Order> {
    const where: Record<string, unknown> = { orderSn };
    // Ids stay strings (BIGINT): Number() would make buyer 9007199254740993 read 9007199254740992's orders.
    if (principal.role === 'seller') where.sellerId = principal.id;
    if (principal.role === 'buyer') where.buyerId = principal.id;
    const order = await this.dataSource.getRepository(Order).findOneBy(where);
    if (!order) throw new NotFoundException(`order ${orderSn} not found`);
    return order;
  }
}
