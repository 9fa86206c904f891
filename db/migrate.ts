import { readDatabaseUrl } from '../config/app-config';
import { readDatabaseTls } from '../config/database-tls';
import { runMain } from '../config/run-main';
import { migrate } from './data-source';

runMain(async () => {
  const databaseUrl = readDatabaseUrl();
  const tls = readDatabaseTls();
  const applied = await migrate(databaseUrl, { tls });
  console.log(`${applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema up to date'} (MySQL ${tls.description})`);
});
