import type { DataSource } from 'typeorm';
import { Goods } from './entities';
import type { Queryable } from './queryable';

/**
 * The `goods` table: sellers list SKUs here; its stock and sales counters change only through the
 * stock ledger (db/stock-ledger.ts). Everything else reads.
 */

export interface GoodsRow {
  id: number;
  seller_id: number;
  name: string;
  price_fen: number;
  available_quantity: number;
}

/** A seller's new SKU with its stock on hand, no sales yet; the row as TypeORM reads it back. The seller id is bound as the token's string. */
export async function insertGoods(dataSource: DataSource, goods: { sellerId: string; name: string; priceFen: number; stock: number }): Promise<Goods> {
  const saved = await dataSource.query(
    'INSERT INTO goods (seller_id, name, price_fen, quantity, available_quantity, sales_count) VALUES (?, ?, ?, ?, ?, 0)',
    [goods.sellerId, goods.name, goods.priceFen, goods.stock, goods.stock],
  );
  return dataSource.getRepository(Goods).findOneByOrFail({ id: Number(saved.insertId) });
}

/** One SKU as its entity, or null; the BIGINT id is bound as its string. */
export function findGoods(dataSource: DataSource, id: string): Promise<Goods | null> {
  return dataSource.getRepository(Goods).findOneBy({ id: id as unknown as number });
}

/** Today's name, price and stock of these SKUs (the cart view), in no particular order. */
export function readGoodsByIds(db: Queryable, skuIds: number[]): Promise<GoodsRow[]> {
  return db.query('SELECT id, seller_id, name, price_fen, available_quantity FROM goods WHERE id IN (?)', [skuIds]);
}

/** The same, ordered by id: what checkout prices. */
export function readGoodsForPricing(db: Queryable, skuIds: number[]): Promise<GoodsRow[]> {
  return db.query('SELECT id, seller_id, name, price_fen, available_quantity FROM goods WHERE id IN (?) ORDER BY id', [skuIds]);
}

/** Whether the SKU exists. */
export async function goodsExists(db: Queryable, skuId: number): Promise<boolean> {
  const [row] = await db.query('SELECT id FROM goods WHERE id = ?', [skuId]);
  return Boolean(row);
}

/** Whether the SKU is this seller's. */
export async function sellerOwnsGoods(db: Queryable, skuId: number, sellerId: string): Promise<boolean> {
  const [own] = await db.query('SELECT 1 FROM goods WHERE id = ? AND seller_id = ?', [skuId, sellerId]);
  return Boolean(own);
}

/** A SKU's id, seller and name, or undefined. */
export async function findGoodsBrief(db: Queryable, skuId: number): Promise<{ id: number; seller_id: number; name: string } | undefined> {
  const [goods] = await db.query('SELECT id, seller_id, name FROM goods WHERE id = ?', [skuId]);
  return goods;
}

/** A SKU's name and seller, or undefined. */
export async function findGoodsNameAndSeller(db: Queryable, skuId: number): Promise<{ name: string; seller_id: number | string } | undefined> {
  const [goods] = await db.query('SELECT name, seller_id FROM goods WHERE id = ?', [skuId]);
  return goods;
}

/** The seller's own SKU and its normal price (a group-buy activity's price may not exceed it); undefined for another seller's. */
export async function findGoodsForActivity(db: Queryable, skuId: number, sellerId: string): Promise<{ id: number; priceFen: number } | undefined> {
  const [goods] = await db.query('SELECT id, price_fen FROM goods WHERE id = ? AND seller_id = ?', [skuId, sellerId]);
  return goods && { id: Number(goods.id), priceFen: goods.price_fen };
}
