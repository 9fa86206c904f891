import { temporal } from '@temporalio/proto';
import { ProviderGate } from '../../activities/provider-gate';
import { createOrderWorkers } from '../../apps/worker/worker';
import { connectWorkerConnection } from '../../apps/shared/temporal';
import { eventually, startTestSystem, TestSystem } from '../support/system';
import { gateState, wechatRefundGate } from '../support/provider-outage';

/**
 * Issue 25's loaded run: the gate shared the task queue with all the work, its first workflow task
 * waited ~13 min behind the backlog and it never opened. Here the backlog is the worst kind: 300
 * workflow tasks on the main queue that nothing serves (its Worker is stopped). The gate has a queue
 * and a Worker of its own (domain/task-queues.ts), so reports of failing refund calls open it within
 * seconds anyway, and its id still names the system (its main task queue).
 */
const BACKLOG = 300;
const OPEN_WITHIN_MS = 15_000;

describe('provider gate under a backlog of the work it gates', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ PROVIDER_GATE: 'on', PROVIDER_GATE_WINDOW: '30s', PROVIDER_GATE_MIN_CALLS: '5', PROVIDER_GATE_FAILURE_RATE: '0.5' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it(`opens within seconds while ${BACKLOG} workflow tasks wait on the main queue`, async () => {
    const { taskQueue, taskQueues, namespace } = system.config.temporal;
    // The process's Workers with the main one stopped: whatever is queued on the main queue stays queued.
    await system.stopWorker();
    const connection = await connectWorkerConnection(system.config.temporal);
    const workers = await createOrderWorkers({ connection, config: system.config, dataSource: system.dataSource, temporalClient: system.temporal, workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE });
    const running = workers.run();
    workers.main.shutdown();
    try {
      await eventually(async () => (workers.main.getState() === 'STOPPED' ? true : undefined), 30_000, 'the main Worker stopped');
      // The backlog: cancellations of orders that do not exist, each a first workflow task on the main queue.
      for (let i = 0; i < BACKLOG; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => system.temporal.workflow.start('cancellationWorkflow', {
          taskQueue,
          workflowId: `backlog-${taskQueue}-${i + j}`,
          args: [{ orderSn: `BACKLOG${i + j}`, cancellationId: i + j, reason: 'backlog', actor: 'SYSTEM_TIMER', refundPollScheduleMs: [1000] }],
        })));
      }
      const backlog = await eventually(async () => {
        const described = await system.temporal.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, reportStats: true });
        const count = Number(described.stats?.approximateBacklogCount ?? 0);
        return count >= BACKLOG ? count : undefined;
      }, 30_000, `a backlog of ${BACKLOG} on ${taskQueue}`);

      // Failing WeChat Pay refund calls, reported as the refund activities report them.
      const gate = new ProviderGate(system.temporal, taskQueue, system.config.providerGate);
      const reported = Date.now();
      for (let i = 0; i < 10; i += 1) gate.report('wechatpay', 'refunds', 'retryable');
      await gate.flush();
      const open = await eventually(async () => {
        const state = await gateState(system);
        return state?.status === 'OPEN' ? state : undefined;
      }, OPEN_WITHIN_MS, 'the gate open');
      const tookMs = Date.now() - reported;
      console.log(`gate open ${tookMs} ms after the reports, with ${backlog} workflow tasks backlogged on ${taskQueue}`);
      expect(open.window.retryable).toBe(10);
      expect(tookMs).toBeLessThan(OPEN_WITHIN_MS);

      // Its id names the system; it runs on the gates' queue.
      expect(gate.gateId('wechatpay', 'refunds')).toBe(wechatRefundGate(system));
      const described = await system.temporal.workflow.getHandle(wechatRefundGate(system)).describe();
      expect(described.taskQueue).toBe(taskQueues.providerGates);
    } finally {
      workers.shutdown();
      await running;
      await connection.close();
    }
  }, 180_000);
});
