import 'reflect-metadata';
import { isIP } from 'node:net';
import { DataSource } from 'typeorm';
import { createConnection } from 'mysql2/promise';
import { ConfigError } from '../config/config-error';
import type { DatabaseTlsSettings } from '../config/database-tls';
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
import { NotificationBacklogIndex1732000000900 } from './migrations/1732000000900-notification-backlog-index';
import { BusinessEvents1732000000910 } from './migrations/1732000000910-business-events';
import { CancellationRefusal1732000000950 } from './migrations/1732000000950-cancellation-refusal';
import { SellerApiKeys1732000001000 } from './migrations/1732000001000-seller-api-keys';
import { Webhooks1732000001100 } from './migrations/1732000001100-webhooks';
import { TradePayments1732000001200 } from './migrations/1732000001200-trade-payments';
import { OrderOutStatus1732000001210 } from './migrations/1732000001210-order-out-status';
import { GroupBuyActivities1732000001300 } from './migrations/1732000001300-group-buy-activities';

export const MIGRATIONS = [InitialSchema1732000000000, PaymentCodeUrl1732000000001, GroupBuy1732000000010, SweepRuns1732000000020, Promotions1732000000100, Reconciliation1732000000300, ComplaintsReviews1732000000500, RefundPacing1732000000600, GoodwillRefunds1732000000601, AfterSales1732000000700, LinkedOrders1732000000800, NotificationBacklogIndex1732000000900, BusinessEvents1732000000910, CancellationRefusal1732000000950, SellerApiKeys1732000001000, Webhooks1732000001100, TradePayments1732000001200, OrderOutStatus1732000001210, GroupBuyActivities1732000001300];

export interface DataSourceOptions {
  poolSize?: number;
  /** TLS to MySQL (config/database-tls.ts, DATABASE_TLS*): every connection of the pool uses it; plaintext when absent or off. */
  tls?: DatabaseTlsSettings;
}

/** The application's TypeORM DataSource. Schema comes from migrations only, never `synchronize`. */
export function createDataSource(databaseUrl: string, options: DataSourceOptions = {}): DataSource {
  assertTlsFitsHost(databaseUrl, options.tls);
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
    ...(options.tls?.ssl ? { ssl: options.tls.ssl } : {}),
    extra: { enableKeepAlive: true },
  });
}

/** Initialises the DataSource, turning "cannot connect" into one line naming DATABASE_URL. */
export async function connectDataSource(databaseUrl: string, options: DataSourceOptions = {}): Promise<DataSource> {
  const dataSource = createDataSource(databaseUrl, options);
  try {
    await dataSource.initialize();
  } catch (err) {
    throw new ConfigError('DATABASE_URL', `cannot connect to ${describeTarget(databaseUrl)}${tlsNote(options.tls)}: ${errorText(err)}`);
  }
  return dataSource;
}

/** Creates the database named in the URL if it does not exist yet. */
export async function ensureDatabase(databaseUrl: string, options: Pick<DataSourceOptions, 'tls'> = {}): Promise<void> {
  const url = new URL(databaseUrl);
  const database = url.pathname.replace(/^\//, '');
  assertTlsFitsHost(databaseUrl, options.tls);
  let connection;
  try {
    connection = await createConnection({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      connectTimeout: 5000,
      ...(options.tls?.ssl ? { ssl: options.tls.ssl } : {}),
    });
  } catch (err) {
    throw new ConfigError('DATABASE_URL', `cannot connect to ${describeTarget(databaseUrl)}${tlsNote(options.tls)}: ${errorText(err)}`);
  }
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await connection.end();
  }
}

/** Creates the database if needed and applies pending migrations; returns the names applied. */
export async function migrate(databaseUrl: string, options: Pick<DataSourceOptions, 'tls'> = {}): Promise<string[]> {
  await ensureDatabase(databaseUrl, options);
  const dataSource = await connectDataSource(databaseUrl, { poolSize: 2, tls: options.tls });
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

/**
 * verify-full checks the server's certificate against DATABASE_URL's host; mysql2 can only do that for
 * a host name (for an IP address it sends no server name, and Node then checks the certificate against
 * "localhost"). Refused at start-up rather than checked against the wrong name.
 */
function assertTlsFitsHost(databaseUrl: string, tls: DatabaseTlsSettings | undefined): void {
  const host = new URL(databaseUrl).hostname.replace(/^\[|\]$/g, '');
  if (tls?.ssl?.verifyIdentity && isIP(host)) {
    throw new ConfigError('DATABASE_TLS', `verify-full checks the server certificate against DATABASE_URL's host, but ${host} is an IP address, which the MySQL driver cannot check; connect by a host name the certificate names, or set DATABASE_TLS=verify-ca`);
  }
}

function tlsNote(tls: DatabaseTlsSettings | undefined): string {
  return tls?.ssl ? ` over ${tls.description}` : '';
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: string; message?: string };
    return [e.code, e.message].filter(Boolean).join(' ');
  }
  return String(err);
}
