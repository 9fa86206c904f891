import { readAppConfig } from '../../config/app-config';
import { runMain } from '../../config/run-main';
import { createApiApp } from './app';

runMain(async () => {
  const config = readAppConfig();
  const app = await createApiApp(config);
  await app.listen(config.api.port, '0.0.0.0');
  console.log(`api listening on http://127.0.0.1:${config.api.port} (OpenAPI: /docs)`);
});
