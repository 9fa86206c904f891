import type { ChildProcess } from 'node:child_process';
import { formatReport, runChaos, type ChaosOptions } from '../../chaos/harness';
import { TestSystem, startTestSystem } from '../support/system';

/**
 * The short chaos run: 40 orders while the worker (its own OS process) is SIGKILLed 3 times and the
 * worker's database connection is cut once through the test system's TCP proxy (the machine's
 * MariaDB is shared, so it is not restarted here; `npm run chaos` restarts a private one).
 */
// About 3.5 minutes on the shared 2-core machine (each SIGKILLed worker takes ~20-60 s to come back
// under ts-node), over the 3-minute budget for npm test: it runs with CHAOS_TEST=1.
const chaosDescribe = process.env.CHAOS_TEST === '1' ? describe : describe.skip;

chaosDescribe('chaos: worker kills, a database outage, provider and notification faults', () => {
  let system: TestSystem;
  let worker: ChildProcess | undefined;
  beforeAll(async () => {
    system = await startTestSystem({ PAYMENT_QUERY_SCHEDULE: '2s,3s', RATE_LIMIT_WRITES_PER_MINUTE: '1000000', RATE_LIMIT_POLLS_PER_MINUTE: '1000000' });
    await system.stopWorker();
    worker = system.spawnWorkerProcess();
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await system?.stop();
  });

  it('loses no order, moves no money twice, keeps stock exact and answers no 5xx', async () => {
    const options: ChaosOptions = { orders: 40, concurrency: 8, killEverySeconds: 15, maxKills: 3, outageAtOrder: 20, seed: 11, providerFaultRate: 0.2, notificationFaultRate: 0.1, settleTimeoutMs: 120_000 };
    const report = await runChaos(
      {
        apiUrl: system.apiUrl,
        sim: system.sim,
        dataSource: system.dataSource,
        temporal: system.temporal,
        taskQueue: system.config.temporal.taskQueue,
        token: (role, id) => system.token(role, id),
        killWorker: async () => {
          worker?.kill('SIGKILL');
          worker = system.spawnWorkerProcess();
        },
        databaseOutage: {
          describe: "worker's database connection cut for 5 s (TCP proxy)",
          pauseTraffic: false,
          run: async () => {
            system.workerDatabase.cut();
            await new Promise((r) => setTimeout(r, 5000));
            system.workerDatabase.restore();
          },
        },
      },
      options,
    );
    process.stdout.write(`${formatReport(report, options)}\n`);
    expect(report.workerKills).toBe(3);
    expect(report.recoverySeconds.database).toHaveLength(1);
    expect({
      lost: report.ordersLost,
      twice: report.moneyMovedTwice,
      money: report.moneyMismatches,
      drift: report.stockDrift,
      workflows: report.workflowsFailedOrTerminated,
      answers5xx: report.answers5xx,
    }).toEqual({ lost: [], twice: [], money: [], drift: [], workflows: [], answers5xx: 0 });
  }, 600_000);
});
