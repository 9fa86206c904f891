import 'reflect-metadata';
import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../../config/app-config';
import { connectDataSource } from '../../db/data-source';
import { connectTemporalClient } from '../shared/temporal';
import { AppModule } from './app.module';
import { connectRedis } from './redis/redis';

/** Builds the HTTP API (used by main.ts and by the integration tests). */
export async function createApiApp(config: AppConfig, options: { logger?: false } = {}): Promise<INestApplication> {
  // rawBody: provider notifications are verified over the exact bytes received.
  const dataSource = await connectDataSource(config.databaseUrl);
  let temporal;
  let redis;
  try {
    redis = await connectRedis(config.redis);
    temporal = await connectTemporalClient(config.temporal);
  } catch (err) {
    redis?.disconnect();
    await dataSource.destroy();
    throw err;
  }
  const app = await NestFactory.create(AppModule.forRoot(config, { dataSource, temporal, redis }), { rawBody: true, abortOnError: false, ...(options.logger === false ? { logger: false } : {}) });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }),
  );
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Durable order orchestration API')
      .setDescription('Trades, orders, payments, cancellations and refunds; every order is a Temporal workflow.')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}
