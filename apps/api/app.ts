import 'reflect-metadata';
import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../../config/app-config';
import { connectDataSource } from '../../db/data-source';
import { connectTemporalClient } from '../shared/temporal';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { createLogger } from '../shared/logger';
import { AppModule } from './app.module';
import { ApiMetrics } from './observability/business-metrics';
import { httpMetricsMiddleware } from './observability/http-metrics';
import { connectRedis } from './redis/redis';

/**
 * Builds the HTTP API (used by main.ts and by the integration tests). Logs go to `options.logger`
 * (JSON lines on stdout by default); `logger: false` silences them (tests).
 */
export async function createApiApp(config: AppConfig, options: { logger?: false | Logger } = {}): Promise<INestApplication> {
  const logger = options.logger === false ? createLogger('api', undefined, { LOG_LEVEL: 'silent' }) : (options.logger ?? createLogger('api'));
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
  const app = await NestFactory.create(AppModule.forRoot(config, { dataSource, temporal, redis }, logger), { rawBody: true, abortOnError: false, bufferLogs: true });
  // Nest's own lines (start-up, exceptions) go through the same pino as the request lines.
  app.useLogger(app.get(NestPinoLogger));
  app.use(httpMetricsMiddleware(app.get(ApiMetrics)));
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
