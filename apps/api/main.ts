import { readAppConfig } from '../../config/app-config';
import { runMain } from '../../config/run-main';
import { createLogger } from '../shared/logger';
import { createApiApp } from './app';

runMain(async () => {
  const config = readAppConfig();
  const logger = createLogger('api');
  const app = await createApiApp(config, { logger });
  await app.listen(config.api.port, '0.0.0.0');
  logger.info({ port: config.api.port, temporalAddress: config.temporal.address, security: config.temporal.security, database: config.databaseTls.description }, `api listening on http://127.0.0.1:${config.api.port} (OpenAPI: /docs, metrics: /metrics; MySQL ${config.databaseTls.description})`);
});
