import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { temporal } from '@temporalio/proto';
import { ConfigError } from '../../config/config-error';
import { readWorkerVersioning } from '../../config/work-scheduling';
import { WORKFLOW_VERSIONING } from '../../workflows/versioning';
import * as registered from '../../workflows/registered';
import { placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

const run = promisify(execFile);
const Behavior = temporal.api.enums.v1.VersioningBehavior;

/**
 * Worker Versioning on the real dev server: a worker started with WORKER_DEPLOYMENT_NAME and
 * WORKER_BUILD_ID polls as that version; scripts/set-current-version.sh (what npm run dev runs) makes
 * it current, and then a checkout → pay → seller cancel runs on it: the order workflow AUTO_UPGRADE,
 * its refund PINNED, both on that version (workflows/versioning.ts).
 */
describe('worker versioning', () => {
  const deploymentName = `orders-test-${randomBytes(3).toString('hex')}`;
  const buildId = `build-${randomBytes(2).toString('hex')}`;
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem({ WORKER_DEPLOYMENT_NAME: deploymentName, WORKER_BUILD_ID: buildId });
    const made = await run('bash', [join(__dirname, '..', '..', 'scripts', 'set-current-version.sh')], {
      env: { ...process.env, WORKER_DEPLOYMENT_NAME: deploymentName, WORKER_BUILD_ID: buildId, TEMPORAL_CLI: process.env.TEST_TEMPORAL_CLI, TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS, SET_CURRENT_VERSION_WAIT: '60' },
    });
    expect(made.stdout).toContain(`${deploymentName}.${buildId} is the current version`);
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  });

  it('reads the version from the environment, both parts or neither', () => {
    expect(readWorkerVersioning({})).toBeUndefined();
    expect(readWorkerVersioning({ WORKER_DEPLOYMENT_NAME: 'orders', WORKER_BUILD_ID: '1.4.2-abc' })).toEqual({ deploymentName: 'orders', buildId: '1.4.2-abc' });
    expect(() => readWorkerVersioning({ WORKER_DEPLOYMENT_NAME: 'orders' })).toThrow(ConfigError);
    expect(() => readWorkerVersioning({ WORKER_BUILD_ID: 'abc' })).toThrow(/WORKER_DEPLOYMENT_NAME/);
    expect(() => readWorkerVersioning({ WORKER_DEPLOYMENT_NAME: 'orders.v2', WORKER_BUILD_ID: 'abc' })).toThrow(/no dots/);
    expect(() => readWorkerVersioning({ WORKER_DEPLOYMENT_NAME: 'orders', WORKER_BUILD_ID: 'a b' })).toThrow(/WORKER_BUILD_ID/);
  });

  it('names a behaviour for every registered workflow type', () => {
    expect(Object.keys(WORKFLOW_VERSIONING).sort()).toEqual(Object.keys(registered).sort());
  });

  it('runs a paid order and its cancel on the current version: the order upgrades, its refund is pinned', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    const cancel = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'idempotency-key': `versioning-${order.orderSn}` }, body: { reason: 'versioning test' } });
    expect(cancel.status).toBe(202);
    const refundSn = await eventually(async () => {
      const [row] = await system.dataSource.query(`SELECT refund_sn FROM refund WHERE order_sn = ? AND status = 'SUCCESS'`, [order.orderSn]);
      return row?.refund_sn as string | undefined;
    }, 60_000, 'the refund');

    const versioning = async (workflowId: string) => (await system.temporal.workflow.getHandle(workflowId).describe()).raw.workflowExecutionInfo?.versioningInfo;
    const orderInfo = await versioning(`order-${order.orderSn}`);
    expect(orderInfo?.behavior).toBe(Behavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE);
    expect(orderInfo?.deploymentVersion).toMatchObject({ deploymentName, buildId });
    const refundInfo = await versioning(`refund-${refundSn}`);
    expect(refundInfo?.behavior).toBe(Behavior.VERSIONING_BEHAVIOR_PINNED);
    expect(refundInfo?.deploymentVersion).toMatchObject({ deploymentName, buildId });
  }, 120_000);
});
