import { StepPendingFilter } from './steps/step-pending.filter';
import 'reflect-metadata';
import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../../config/app-config';
import { connectDataSource } from '../../db/data-source';
import { connectTemporalClient } from '../shared/temporal';
import { installWebhookNotifier } from '../shared/webhook-notifier';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { createLogger } from '../shared/logger';
import { AppModule } from './app.module';
import { ApiMetrics } from './observability/business-metrics';
import { httpMetricsMiddleware } from './observability/http-metrics';
import { connectRedis } from './redis/redis';
import { MAX_BODY_BYTES, bodyDepthLimit, bodyParserErrors } from './common/body-limits';
import { ProblemDetailsFilter } from './common/problem.filter';
import { validationFailed } from './common/problem-details';
import { buildOpenApiDocument } from './openapi-document';
import { routeApiVersion } from './common/api-version';

/**
 * Builds the HTTP API (used by main.ts and by the integration tests). Logs go to `options.logger`
 * (JSON lines on stdout by default); `logger: false` silences them (tests).
 */
export async function createApiApp(config: AppConfig, options: { logger?: false | Logger } = {}): Promise<INestApplication> {
  const logger = options.logger === false ? createLogger('api', undefined, { LOG_LEVEL: 'silent' }) : (options.logger ?? createLogger('api'));
  // rawBody: provider notifications are verified over the exact bytes received.
  const dataSource = await connectDataSource(config.databaseUrl, { tls: config.databaseTls });
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
  // Events the API's steps commit (checkout, a cancel request) wake their sellers' webhook endpoint workflows.
  installWebhookNotifier(dataSource, temporal, (m) => logger.warn(m));
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, { dataSource, temporal, redis }, logger), { rawBody: true, bodyParser: false, abortOnError: false, bufferLogs: true });
  // Nest's own lines (start-up, exceptions) go through the same pino as the request lines.
  app.useLogger(app.get(NestPinoLogger));
  // /v1/… and the unversioned paths reach the same routes (common/api-version.ts), before anything reads the path.
  app.use(routeApiVersion);
  app.use(httpMetricsMiddleware(app.get(ApiMetrics)));
  // Body size and depth are capped before validation: an oversized or deeply nested body is a 4xx.
  // Security headers everywhere; the Swagger UI at /docs runs inline scripts and styles, so only it
  // goes without a Content-Security-Policy.
  const strict = helmet();
  const docs = helmet({ contentSecurityPolicy: false });
  app.use((req: { path: string }, res: unknown, next: () => void) => (req.path === '/docs' || req.path.startsWith('/docs/') || req.path.startsWith('/docs-') ? docs : strict)(req as never, res as never, next));
  app.useBodyParser('json', { limit: MAX_BODY_BYTES });
  app.useBodyParser('urlencoded', { limit: MAX_BODY_BYTES, extended: false });
  app.use(bodyParserErrors);
  app.use(bodyDepthLimit);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false, exceptionFactory: validationFailed }),
  );
  // Every 4xx and 5xx is an RFC 9457 problem document with a catalogue code (docs/errors.md). The
  // filter registered last is asked first: a step accepted but still running is a 202, not a problem.
  app.useGlobalFilters(new ProblemDetailsFilter(), new StepPendingFilter(config.api.jwtSecret));
  app.enableShutdownHooks();
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document);
  return app;
}
