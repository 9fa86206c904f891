import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { DataSource } from 'typeorm';

let nextSeller = 1000 + Math.floor(Math.random() * 1_000_000);

/** A fresh seller id per test, so tests sharing the database never see each other's goods or orders. */
export function newSellerId(): number {
  return (nextSeller += 1);
}

export async function seedGoods(dataSource: DataSource, goods: { sellerId: number; name?: string; priceFen: number; stock: number }): Promise<number> {
  const result = await dataSource.query(
    'INSERT INTO goods (seller_id, name, price_fen, quantity, available_quantity) VALUES (?, ?, ?, ?, ?)',
    [goods.sellerId, goods.name ?? 'Test goods', goods.priceFen, goods.stock, goods.stock],
  );
  return result.insertId;
}

export async function goodsRow(dataSource: DataSource, skuId: number): Promise<{ quantity: number; available_quantity: number; sales_count: number }> {
  const [row] = await dataSource.query('SELECT quantity, available_quantity, sales_count FROM goods WHERE id = ?', [skuId]);
  return row;
}

/**
 * With RECORD_HISTORIES=1, saves a workflow's history as a replay fixture (test/fixtures/histories),
 * exported by the Temporal CLI in the same JSON the Web UI downloads. The replay test replays every
 * fixture against the current workflow code.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const json = execFileSync(
    process.env.TEST_TEMPORAL_CLI!,
    ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', process.env.TEST_TEMPORAL_ADDRESS!, '--output', 'json'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(join(__dirname, '..', 'fixtures', 'histories', `${name}.json`), json);
}
