import { readDatabaseUrl } from '../config/app-config';
import { runMain } from '../config/run-main';
import { migrate } from './data-source';

runMain(async () => {
  const databaseUrl = readDatabaseUrl();
  const applied = await migrate(databaseUrl);
  console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema up to date');
});
