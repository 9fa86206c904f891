import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import type { OpenAPIObject } from '@nestjs/swagger';
import { readAppConfig } from '../config/app-config';
import { AppModule } from '../apps/api/app.module';
import { buildOpenApiDocument } from '../apps/api/openapi-document';
import { createLogger } from '../apps/shared/logger';

/**
 * `npm run client:generate`: writes the API's OpenAPI document to clients/seller/openapi.json and the
 * path and schema types `openapi-typescript` generates from it to clients/seller/schema.d.ts. Both are
 * committed; test/unit/seller-client.test.ts regenerates them into a temporary folder and fails when
 * they differ (someone changed a route without running this).
 */

export const SELLER_CLIENT_DIR = resolve(__dirname, '../clients/seller');

/**
 * The document without a database, Temporal or Redis: Nest's preview mode resolves the module graph
 * (the controllers and their decorators are all Swagger reads) without building any provider, so the
 * placeholder connections are never touched. A fixed development environment keeps the output the same
 * on every machine.
 */
export async function openApiDocument(): Promise<OpenAPIObject> {
  const config = readAppConfig({ NODE_ENV: 'development' });
  const unused = {} as never;
  // The throttler's storage registers its Lua script on the client when the module is declared: a real
  // client that never connects (lazyConnect, and nothing is sent).
  const redis = new Redis({ lazyConnect: true });
  const logger = createLogger('api', undefined, { LOG_LEVEL: 'silent' });
  const app = await NestFactory.create(AppModule.forRoot(config, { dataSource: unused, temporal: unused, redis }, logger), { preview: true, logger: false, abortOnError: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
    redis.disconnect();
  }
}

/** Writes openapi.json and schema.d.ts into `dir`. */
export async function generateSellerClient(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const documentPath = join(dir, 'openapi.json');
  writeFileSync(documentPath, `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
  const cli = resolve(__dirname, '../node_modules/openapi-typescript/bin/cli.js');
  execFileSync(process.execPath, [cli, documentPath, '--output', join(dir, 'schema.d.ts')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

if (require.main === module) {
  generateSellerClient(SELLER_CLIENT_DIR).then(
    () => console.log(`wrote ${SELLER_CLIENT_DIR}/openapi.json and schema.d.ts`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
