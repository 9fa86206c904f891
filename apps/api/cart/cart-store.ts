import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import type { AppConfig } from '../../../config/app-config';
import { REDIS_CLIENT } from '../redis/redis';
import { APP_CONFIG } from '../tokens';

/** Where a checkout takes its lines from: the cart's checked lines, or the one buy-now item. */
export type CheckoutWay = 'CART' | 'BUY_NOW';
export const CHECKOUT_WAYS: CheckoutWay[] = ['CART', 'BUY_NOW'];

/** The cart's origin data, as javashop keeps it: SKU, quantity, checked. Never prices. */
export interface CartLine {
  skuId: number;
  quantity: number;
  checked: boolean;
}

export const MAX_LINE_QUANTITY = 999;

// Adds to a line atomically (two tabs adding at once both count), capped, and renews the TTL.
const ADD_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
local num = tonumber(ARGV[2])
if current then num = num + cjson.decode(current).quantity end
if num > tonumber(ARGV[3]) then num = tonumber(ARGV[3]) end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({quantity = num, checked = true}))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return num`;

// Changes quantity and/or checked of an existing line only; returns 0 if the line is not there.
const UPDATE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local line = cjson.decode(current)
if ARGV[2] ~= '' then line.quantity = tonumber(ARGV[2]) end
if ARGV[3] ~= '' then line.checked = (ARGV[3] == '1') end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(line))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/**
 * The buyer's cart, buy-now item and chosen promotions in Redis, one key each per buyer:
 * - `{prefix}cart:{buyerId}`: hash skuId → {quantity, checked} (cart origin data);
 * - `{prefix}buy-now:{buyerId}`: {skuId, quantity} (buy-now origin data);
 * - `{prefix}promotion:{way}:{buyerId}`: hash sellerId → {memberCouponId} (selected promotions per shop).
 * Every write renews the key's TTL (CART_TTL), so an abandoned cart expires on its own.
 */
@Injectable()
export class CartStore {
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = config.redis.keyPrefix;
    this.ttlMs = config.redis.cartTtlMs;
  }

  cartKey(buyerId: string): string {
    return `${this.prefix}cart:${buyerId}`;
  }

  private buyNowKey(buyerId: string): string {
    return `${this.prefix}buy-now:${buyerId}`;
  }

  private promotionKey(way: CheckoutWay, buyerId: string): string {
    return `${this.prefix}promotion:${way}:${buyerId}`;
  }

  async lines(buyerId: string): Promise<CartLine[]> {
    const raw = await this.redis.hgetall(this.cartKey(buyerId));
    return Object.entries(raw)
      .map(([skuId, value]) => {
        const line = JSON.parse(value) as { quantity: number; checked: boolean };
        return { skuId: Number(skuId), quantity: line.quantity, checked: line.checked === true };
      })
      .sort((a, b) => a.skuId - b.skuId);
  }

  /** Adds `quantity` to the SKU's line (capped at MAX_LINE_QUANTITY) and checks it; returns the new quantity. */
  async add(buyerId: string, skuId: number, quantity: number): Promise<number> {
    const result = await this.redis.eval(ADD_SCRIPT, 1, this.cartKey(buyerId), String(skuId), String(quantity), String(MAX_LINE_QUANTITY), String(this.ttlMs));
    return Number(result);
  }

  /** Changes a line; false if the cart has no line for the SKU. */
  async update(buyerId: string, skuId: number, change: { quantity?: number; checked?: boolean }): Promise<boolean> {
    const checked = change.checked === undefined ? '' : change.checked ? '1' : '0';
    const result = await this.redis.eval(UPDATE_SCRIPT, 1, this.cartKey(buyerId), String(skuId), change.quantity === undefined ? '' : String(change.quantity), checked, String(this.ttlMs));
    return Number(result) === 1;
  }

  async checkAll(buyerId: string, checked: boolean): Promise<void> {
    for (const line of await this.lines(buyerId)) await this.update(buyerId, line.skuId, { checked });
  }

  async remove(buyerId: string, skuIds: number[]): Promise<void> {
    if (skuIds.length) await this.redis.hdel(this.cartKey(buyerId), ...skuIds.map(String));
  }

  async clear(buyerId: string): Promise<void> {
    await this.redis.del(this.cartKey(buyerId), this.promotionKey('CART', buyerId));
  }

  async setBuyNow(buyerId: string, skuId: number, quantity: number): Promise<void> {
    await this.redis.set(this.buyNowKey(buyerId), JSON.stringify({ skuId, quantity }), 'PX', this.ttlMs);
    // A new buy-now item starts without the promotions chosen for the previous one.
    await this.redis.del(this.promotionKey('BUY_NOW', buyerId));
  }

  async buyNow(buyerId: string): Promise<{ skuId: number; quantity: number } | undefined> {
    const raw = await this.redis.get(this.buyNowKey(buyerId));
    return raw ? (JSON.parse(raw) as { skuId: number; quantity: number }) : undefined;
  }

  /** The lines a checkout of `way` takes: the checked cart lines, or the buy-now item. */
  async checkoutLines(buyerId: string, way: CheckoutWay): Promise<{ skuId: number; quantity: number }[]> {
    if (way === 'BUY_NOW') {
      const item = await this.buyNow(buyerId);
      return item ? [item] : [];
    }
    return (await this.lines(buyerId)).filter((line) => line.checked).map(({ skuId, quantity }) => ({ skuId, quantity }));
  }

  /** After a checkout: its lines leave the cart (unchecked lines stay), or the buy-now item goes. */
  async removeCheckedOut(buyerId: string, way: CheckoutWay, skuIds: number[]): Promise<void> {
    if (way === 'BUY_NOW') await this.redis.del(this.buyNowKey(buyerId), this.promotionKey('BUY_NOW', buyerId));
    else {
      await this.remove(buyerId, skuIds);
      await this.redis.del(this.promotionKey('CART', buyerId));
    }
  }

  /** The coupon chosen per shop for the next checkout of `way` (sellerId → memberCouponId). */
  async selectedCoupons(buyerId: string, way: CheckoutWay): Promise<Map<number, number>> {
    const raw = await this.redis.hgetall(this.promotionKey(way, buyerId));
    return new Map(Object.entries(raw).map(([sellerId, value]) => [Number(sellerId), (JSON.parse(value) as { memberCouponId: number }).memberCouponId]));
  }

  async selectCoupon(buyerId: string, way: CheckoutWay, sellerId: number, memberCouponId: number | null): Promise<void> {
    const key = this.promotionKey(way, buyerId);
    if (memberCouponId === null) await this.redis.hdel(key, String(sellerId));
    else await this.redis.hset(key, String(sellerId), JSON.stringify({ memberCouponId }));
    await this.redis.pexpire(key, this.ttlMs);
  }
}
