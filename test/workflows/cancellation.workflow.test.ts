import type { Activities } from '../../activities';
import { CancellationStatus, RefundStatus } from '../../domain';
import { ErrorCode } from '../../domain/error-codes';
import { CANCELLATION_WORKFLOW, CancellationRequestInput, cancellationProgressQuery, cancellationWorkflowId } from '../../workflows/cancellation.contract';
import type { RefundRecord } from '../../workflows/refund.contract';
import { fakeRefunds } from './fake-refunds';
import { LocalWorkflows, activitiesRun, startLocalWorkflows } from './local-env';

/**
 * A cancellation alone (`cancel-{orderSn}`), the order's answer and the database replaced: it gives
 * anything back only after the order accepted the cancel, in order (money, then stock), tells the
 * order it settled and closes the request; a refusal closes the request REFUSED with the order's code.
 */
describe('cancellation workflow (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  type OrderAnswer = Awaited<ReturnType<Activities['askOrderToCancel']>>;
  /** The order workflow's answer and the request and stock tables in memory; every effect recorded in order. */
  function fakeOrderSide(answer: (ask: { orderSn: string; cancellationId: number }) => OrderAnswer) {
    const effects: string[] = [];
    const activities: Partial<Activities> = {
      async askOrderToCancel(ask) {
        effects.push('ask order');
        return answer(ask);
      },
      async refuseCancellation({ refusal }) {
        effects.push(`refused ${refusal.code}`);
        return CancellationStatus.REFUSED;
      },
      async markCancellationAccepted({ refunding }) {
        effects.push(`accepted${refunding ? ' refunding' : ''}`);
      },
      async closeOpenPayments() {
        effects.push('close payment orders');
        return [];
      },
      async restockCancelledOrder({ paid }) {
        effects.push(paid ? 'restock and take back sales' : 'release stock');
        return { restocked: 1, salesReversed: paid ? 1 : 0 };
      },
      async releaseOrderCoupons() {
        effects.push('give back coupons');
        return 1;
      },
      async tellOrderCancellationSettled({ refunded }) {
        effects.push(`tell order settled${refunded ? ' (refunded)' : ''}`);
      },
      async closeCancellation() {
        effects.push('close request');
      },
    };
    return { effects, activities };
  }

  let n = 0;
  const run = (taskQueue: string) => {
    n += 1;
    const input: CancellationRequestInput = { orderSn: `OC${Date.now()}${n}`, cancellationId: n, actor: 'SELLER', actorId: '42', reason: 'warehouse flooded', refundPollScheduleMs: [60_000] };
    const handle = local.env.client.workflow.start(CANCELLATION_WORKFLOW.workflowType, { taskQueue, workflowId: cancellationWorkflowId(input.orderSn), args: [input] });
    return { input, handle };
  };

  const accepting =
    (refund?: RefundRecord) =>
    ({ orderSn, cancellationId }: { orderSn: string; cancellationId: number }): OrderAnswer => ({
      accepted: { cancellationId, cancellationWorkflowId: cancellationWorkflowId(orderSn), refunding: refund !== undefined, ...(refund ? { refund } : {}) },
    });

  it('a paid order: refunds with the number the cancel recorded, then restocks, tells the order and closes the request', async () => {
    const refund: RefundRecord = { refundSn: 'RCX1', orderSn: 'O1', provider: 'alipay', outTradeNo: 'P1A', refundFen: 2500, totalFen: 2500, reason: 'cancel', status: RefundStatus.APPLY };
    const order = fakeOrderSide(accepting(refund));
    const refunds = fakeRefunds({ submit: () => RefundStatus.SUCCESS });
    await local.withWorker({ ...refunds.activities, ...order.activities }, async (taskQueue) => {
      const started = await run(taskQueue).handle;
      expect(await started.result()).toMatchObject({ outcome: 'COMPLETED', refunds: [{ status: 'SUCCESS', refundSn: 'RCX1' }] });
      expect(await started.query(cancellationProgressQuery)).toMatchObject({ status: CancellationStatus.COMPLETED, refundSn: 'RCX1' });
    });
    expect(order.effects).toEqual(['ask order', 'accepted refunding', 'restock and take back sales', 'tell order settled (refunded)', 'close request']);
    expect(refunds.calls.submits).toHaveLength(1);
  });

  it('an unpaid order: closes the provider payment orders, releases the stock, gives back the coupons; no refund', async () => {
    const order = fakeOrderSide(accepting());
    const refunds = fakeRefunds({});
    await local.withWorker({ ...refunds.activities, ...order.activities }, async (taskQueue) => {
      const started = await run(taskQueue).handle;
      expect(await started.result()).toMatchObject({ outcome: 'COMPLETED', refunds: [] });
    });
    expect(order.effects).toEqual(['ask order', 'accepted', 'close payment orders', 'release stock', 'give back coupons', 'tell order settled', 'close request']);
    expect(refunds.calls.submits).toHaveLength(0);
  });

  it('refused by the order (shipped meanwhile): the request ends REFUSED with the code, nothing is given back', async () => {
    const order = fakeOrderSide(() => ({ refused: { code: ErrorCode.ORDER_NOT_CANCELLABLE_IN_STATE, reason: 'order is SHIPPED' } }));
    const refunds = fakeRefunds({});
    await local.withWorker({ ...refunds.activities, ...order.activities }, async (taskQueue) => {
      const { handle } = run(taskQueue);
      const started = await handle;
      expect(await started.result()).toMatchObject({ outcome: 'REFUSED', refusal: { code: 'ORDER_NOT_CANCELLABLE_IN_STATE', reason: 'order is SHIPPED' }, refunds: [] });
      expect(await activitiesRun(started)).toEqual(['askOrderToCancel', 'refuseCancellation']);
    });
    expect(order.effects).toEqual(['ask order', 'refused ORDER_NOT_CANCELLABLE_IN_STATE']);
    expect(refunds.calls.submits).toHaveLength(0);
  });
});
