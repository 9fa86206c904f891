import 'reflect-metadata';
import { Runtime } from '@temporalio/worker';
import { readAppConfig } from '../../config/app-config';
import { runMain } from '../../config/run-main';
import { connectDataSource } from '../../db/data-source';
import { connectTemporalClient, connectWorkerConnection } from '../shared/temporal';
import { applySchedules } from './schedules';
import { createOrderWorker } from './worker';

runMain(async () => {
  const config = readAppConfig();
  // This process owns its shutdown sequence (below), so the SDK must not also react to signals.
  Runtime.install({ shutdownSignals: [] });
  const dataSource = await connectDataSource(config.databaseUrl);
  const connection = await connectWorkerConnection(config.temporal);
  const temporalClient = await connectTemporalClient(config.temporal);
  const worker = await createOrderWorker({ connection, config, dataSource, temporalClient });
  // Idempotent: creates the sweep schedules, or updates them to this configuration.
  for (const schedule of await applySchedules(temporalClient, config)) {
    console.log(`schedule ${schedule.scheduleId} ${schedule.created ? 'created' : 'up to date'}`);
  }

  // Graceful shutdown: stop polling, let running activities finish, then close what the worker used.
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  console.log(`worker polling task queue "${config.temporal.taskQueue}" on ${config.temporal.address} (${config.temporal.security})`);
  await worker.run();
  await connection.close();
  await temporalClient.connection.close();
  await dataSource.destroy();
  console.log('worker stopped');
});
