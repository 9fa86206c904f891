import { afterSaleApi, receivedTwoLineOrder, waitForAfterSale } from '../support/after-sales';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * An HTTP call never waits open-ended on a worker (issue 20, the 1,000-order chaos run): with no
 * worker polling, an after-sale application is recorded and answered 202 within its 20 s wait (the
 * opening PENDING, its row and workflow durable), a later step is sent again as a durable Signal and
 * answered 202 STEP_PENDING within the 60 s budget instead of a 500 or 503; once a worker is back,
 * the application's replay answers 201 with the same after-sale, opened, and the step is applied once.
 */
describe('API calls wait on a workflow for a bounded time', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('answers 202 for a recorded application and for a step sent durably while no worker runs, and completes both, once, when one is back', async () => {
    const order = await receivedTwoLineOrder(system, 'wechatpay');
    const [a] = order.lines;
    const api = afterSaleApi(system, order);
    const body = { serviceType: 'REFUND_ONLY', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'Never arrived' };
    const key = `no-worker-${order.orderSn}`;

    await system.stopWorker();
    let began = Date.now();
    const pending = await api.apply(body, key);
    const applyMs = Date.now() - began;
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ status: 'APPLY', opening: 'PENDING', requestedFen: a.paidFen / a.num });
    expect(applyMs).toBeLessThan(25_000);
    const serviceSn: string = pending.body.serviceSn;

    // No worker accepts the audit's Update: it is sent again as a durable Signal (written to the
    // workflow's history with no worker) and answered 202 with where to read its outcome.
    began = Date.now();
    const audit = await api.audit(serviceSn, { decision: 'PASS' });
    const auditMs = Date.now() - began;
    expect(audit.status).toBe(202);
    expect(audit.body).toMatchObject({ status: 'PENDING', code: 'STEP_PENDING', workflowId: `after-sale-${serviceSn}` });
    expect(auditMs).toBeLessThan(65_000);
    process.stdout.write(`without a worker: apply answered 202 in ${applyMs} ms, audit 202 (sent durably) in ${auditMs} ms\n`);
    const seller = system.token('seller', order.sellerId);

    await system.startWorker();
    const opened = await eventually(async () => {
      const again = await api.apply(body, key);
      return again.status === 201 ? again : undefined;
    }, 60_000, 'the application answered 201');
    expect(opened.body).toMatchObject({ serviceSn, opening: 'ACCEPTED' });
    // The audit is applied once a worker is back, once (its Update, had the server kept it, is answered from the same outcome): one PASS, then the refund.
    const done = await eventually(async () => {
      const outcome = await system.http('GET', audit.body.stepUrl, { token: seller });
      if (outcome.status !== 200) throw new Error(`${outcome.status} ${JSON.stringify(outcome.body)}`);
      return outcome;
    }, 90_000, 'the audit done');
    expect(done.body).toMatchObject({ status: 'DONE', workflowId: `after-sale-${serviceSn}` });
    await waitForAfterSale(system, serviceSn, 'COMPLETED', 90_000);
    const log = await system.dataSource.query(`SELECT action FROM after_sale_log WHERE service_sn = ? AND action = 'AUDIT_PASS'`, [serviceSn]);
    expect(log).toHaveLength(1);
    expect((await api.apply(body, key)).body.serviceSn).toBe(serviceSn);
  }, 240_000);

  it('answers 202 with where to read the outcome for a step the workflow accepted but could not finish in time (its database cut), and the outcome once it is done', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay');
    const [a] = order.lines;
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'Never arrived' }, `accepted-${order.orderSn}`);
    expect(applied.status).toBe(201);
    const serviceSn: string = applied.body.serviceSn;

    // The worker runs, so the audit is validated and accepted into the workflow's history; its database step cannot commit.
    system.workerDatabase.cut();
    try {
      const began = Date.now();
      const audit = await api.audit(serviceSn, { decision: 'PASS' });
      const auditMs = Date.now() - began;
      expect(audit.status).toBe(202);
      expect(audit.body).toMatchObject({ status: 'PENDING', code: 'STEP_PENDING', workflowId: `after-sale-${serviceSn}`, stepUrl: expect.stringMatching(/^\/steps\//) });
      expect(audit.headers.get('location')).toBe(audit.body.stepUrl);
      expect(auditMs).toBeLessThan(65_000);
      process.stdout.write(`accepted but not finished: audit answered 202 in ${auditMs} ms\n`);

      // Only the seller that sent it reads it; a token that was not issued is no step at all.
      const seller = system.token('seller', order.sellerId);
      expect((await system.http('GET', audit.body.stepUrl, { token: system.token('seller', order.sellerId + 1) })).status).toBe(404);
      expect((await system.http('GET', `${audit.body.stepUrl}x`, { token: seller })).status).toBe(404);
      const stillRunning = await system.http('GET', audit.body.stepUrl, { token: seller });
      expect(stillRunning).toMatchObject({ status: 202, body: { code: 'STEP_PENDING', stepUrl: audit.body.stepUrl } });
      // A client of the versioned contract reads it under /v1 and is told to come back under /v1.
      const versioned = await system.http('GET', `/v1${audit.body.stepUrl}`, { token: seller });
      expect(versioned).toMatchObject({ status: 202, body: { code: 'STEP_PENDING', stepUrl: `/v1${audit.body.stepUrl}` } });

      system.workerDatabase.restore();
      const done = await eventually(async () => {
        const outcome = await system.http('GET', audit.body.stepUrl, { token: seller });
        return outcome.status === 200 ? outcome : undefined;
      }, 60_000, 'the step done');
      expect(done.body).toMatchObject({ status: 'DONE', workflowId: `after-sale-${serviceSn}` });
    } finally {
      system.workerDatabase.restore();
    }
    // Applied once: the 202 was not a request to send it again.
    const log = await system.dataSource.query(`SELECT action FROM after_sale_log WHERE service_sn = ? AND action = 'AUDIT_PASS'`, [serviceSn]);
    expect(log).toHaveLength(1);
  }, 240_000);
});
