import { readAppConfig } from '../../config/app-config';
import { ConfigError } from '../../config/config-error';
import { runMain } from '../../config/run-main';
import { createLogger } from '../shared/logger';
import { EncryptionCodec } from '../shared/payload-codec';
import { CodecServer } from './server';

runMain(async () => {
  const config = readAppConfig();
  const encryption = config.temporal.payloadEncryption;
  if (!encryption.enabled) throw new ConfigError('PAYLOAD_CODEC_KEYS', 'is "off": payloads are not encrypted, so there is nothing for a codec server to decode');
  const logger = createLogger('codec-server');
  const server = new CodecServer({ codec: new EncryptionCodec(encryption), jwtSecret: config.api.jwtSecret, corsOrigins: config.codecServer.corsOrigins, log: logger });
  const port = await server.listen(config.codecServer.port, config.codecServer.host);
  const stop = () => void server.close().then(() => logger.info('codec server stopped'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  logger.info(
    { port, corsOrigins: config.codecServer.corsOrigins, encryption: encryption.description },
    `codec server on http://${config.codecServer.host}:${port} (${encryption.description}); CORS for ${config.codecServer.corsOrigins.join(', ')}; support and admin tokens only`,
  );
});
