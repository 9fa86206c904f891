import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createConnection } from 'mysql2/promise';
import { ConfigError } from '../config/config-error';
import * as entities from './entities';
import { InitialSchema1732000000000 } from './migrations/1732000000000-initial-schema';
import { PaymentCodeUrl1732000000001 } from './migrations/1732000000001-payment-code-url';
import { GroupBuy1732000000010 } from './migrations/1732000000010-group-buy';
import { SweepRuns1732000000020 } from './migrations/1732000000020-sweep-runs';
import { Promotions1732000000100 } from './migrations/1732000000100-promotions';
import { Reconciliation1732000000300 } from './migrations/1732000000300-reconciliation';
import { ComplaintsReviews1732000000500 } from './migrations/1732000000500-complaints-reviews';
import { RefundPacing1732000000600 } from './migrations/1732000000600-refund-pacing';
import { GoodwillRefunds1732000000601 } from './migrations/1732000000601-goodwill-refunds';
import { AfterSales1732000000700 } from './migrations/1732000000700-after-sales';
import { LinkedOrders1732000000800 } from './migrations/1732000000800-linked-orders';
import { BusinessEvents1732000000900 } from './migrations/1732000000900-business-events';

export const MIGRATIONS = [InitialSchema1732000000000, PaymentCodeUrl1732000000001, GroupBuy1732000000010, SweepRuns1732000000020, Promotions1732000000100, Reconciliation1732000000300, ComplaintsReviews1732000000500, RefundPacing1732000000600, GoodwillRefunds1732000000601, AfterSales1732000000700, LinkedOrders1732000000800, BusinessEvents1732000000900];

/** The application's TypeORM DataSource. Schema comes from migrations only, never `synchronize`. */
export function createDataSource(databaseUrl: string, options: { poolSize?: number } = {}): DataSource {
  return new DataSource({
    type: 'mysql',
    url: databaseUrl,
    entities: Object.values(entities),
    migrations: MIGRATIONS,
    synchronize: false,
    timezone: 'Z',
    charset: 'utf8mb4_bin',
    poolSize: options.poolSize ?? 10,
    // BIGINT ids come back as numbers (ours stay far below 2^53) instead of strings.
    supportBigNumbers: true,
    bigNumberStrings: false,
    // Fail fast when MySQL is down; activity retries (not a long connect wait) carry the recovery.
    connectTimeout: 5000,
    extra: { enableKeepAlive: true },
  });
}

/** Initialises the DataSource, turning "cannot connect" into one line naming DATABASE_URL. */
export async function connectDataSource(databaseUrl: string, options: { poolSize?: number } = {}): Promise<DataSource> {
  const dataSource = createDataSource(databaseUrl, options);
  try {
    await dataSource.initialize();
  } catch (err) {
    throw new ConfigError('DATABASE_URL', `cannot connect to ${describeTarget(databaseUrl)}: ${errorText(err)}`);
  }
  return dataSource;
}

/** Creates the database named in the URL if it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const database = url.pathname.replace(/^\//, '');
  let connection;
  try {
    connection = await createConnection({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      connectTimeout: 5000,
    });
  } catch (err) {
    throw new ConfigError('DATABASE_URL', `cannot connect to ${describeTarget(databaseUrl)}: ${errorText(err)}`);
  }
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await connection.end();
  }
}

/** Creates the database if needed and applies pending migrations; returns the names applied. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const dataSource = await connectDataSource(databaseUrl, { poolSize: 2 });
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

function describeTarget(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `mysql://${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.host}${url.pathname}`;
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: string; message?: string };
    return [e.code, e.message].filter(Boolean).join(' ');
  }
  return String(err);
}
