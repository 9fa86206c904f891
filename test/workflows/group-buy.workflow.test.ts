import { randomUUID } from 'node:crypto';
import type { Activities } from '../../activities';
import { GroupBuyStatus } from '../../domain';
import { GROUP_BUY_WORKFLOW, GroupBuyInput, GroupBuyState, groupBuyWorkflowId, memberJoinedSignal, memberLeftSignal, memberPaidSignal } from '../../workflows/group-buy.contract';
import { LocalWorkflows, queryUntil, startLocalWorkflows, timersStarted } from './local-env';

/**
 * A group buy alone, its settle step replaced: it forms when `size` members have paid, a member who
 * left does not count, and the deadline fails it (the order workflows it then tells are not running
 * here: the full-system tests follow their cancels and refunds).
 */
describe('group-buy workflow (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  function fakeSettle() {
    const settled: string[] = [];
    const activities: Partial<Activities> = {
      async settleGroupBuy({ status }) {
        settled.push(status);
      },
    };
    return { settled, activities };
  }

  const start = (taskQueue: string, size: number, deadlineMs: number, activity: Pick<GroupBuyInput, 'activityId' | 'autoForm'> = {}) => {
    const input: GroupBuyInput = { groupId: randomUUID(), skuId: 1, size, deadlineIso: new Date(Date.now() + deadlineMs).toISOString(), ...activity };
    return local.env.client.workflow.start(GROUP_BUY_WORKFLOW.workflowType, { taskQueue, workflowId: groupBuyWorkflowId(input.groupId), args: [input] });
  };

  it('forms once `size` members have paid, before its deadline; a member who left does not count, even paid', async () => {
    const { settled, activities } = fakeSettle();
    await local.withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 2, 60_000);
      for (const orderSn of ['OA', 'OB', 'OC']) await handle.signal(memberJoinedSignal, { orderSn });
      await handle.signal(memberPaidSignal, { orderSn: 'OA' });
      await handle.signal(memberLeftSignal, { orderSn: 'OB' });
      // A payment that lands after its order left the group (cancelled meanwhile) does not form it.
      await handle.signal(memberPaidSignal, { orderSn: 'OB' });
      const waiting = await queryUntil<GroupBuyState>(handle, 'groupState', (state) => state.members.some((m) => m.left && m.paid));
      expect(waiting.status).toBe(GroupBuyStatus.FORMING);
      await handle.signal(memberPaidSignal, { orderSn: 'OC' });
      const formed = (await handle.result()) as GroupBuyState;
      expect(formed.status).toBe(GroupBuyStatus.FORMED);
      expect(formed.members.filter((m) => m.paid && !m.left).map((m) => m.orderSn)).toEqual(['OA', 'OC']);
    });
    expect(settled).toEqual([GroupBuyStatus.FORMED]);
  });

  it('fails when its deadline passes short of members, on its timer', async () => {
    const { settled, activities } = fakeSettle();
    await local.withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 3, 800);
      await handle.signal(memberJoinedSignal, { orderSn: 'OA' });
      await handle.signal(memberPaidSignal, { orderSn: 'OA' });
      const failed = (await handle.result()) as GroupBuyState;
      expect(failed.status).toBe(GroupBuyStatus.FAILED);
      expect(await timersStarted(handle)).toHaveLength(1);
    });
    expect(settled).toEqual([GroupBuyStatus.FAILED]);
  });

  it("an activity's auto-form: short of members at its deadline, it forms with its paid members", async () => {
    const { settled, activities } = fakeSettle();
    await local.withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 3, 800, { activityId: 7, autoForm: true });
      for (const orderSn of ['OA', 'OB']) await handle.signal(memberJoinedSignal, { orderSn });
      await handle.signal(memberPaidSignal, { orderSn: 'OA' });
      const formed = (await handle.result()) as GroupBuyState;
      expect(formed).toMatchObject({ status: GroupBuyStatus.FORMED, autoFormed: true });
      expect(await timersStarted(handle)).toHaveLength(1);
    });
    expect(settled).toEqual([GroupBuyStatus.FORMED]);
  });

  it("an activity's auto-form with no paid member still fails: there is no one to form with", async () => {
    const { settled, activities } = fakeSettle();
    await local.withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 3, 800, { activityId: 7, autoForm: true });
      await handle.signal(memberJoinedSignal, { orderSn: 'OA' });
      const failed = (await handle.result()) as GroupBuyState;
      expect(failed.status).toBe(GroupBuyStatus.FAILED);
      expect(failed.autoFormed).toBeUndefined();
    });
    expect(settled).toEqual([GroupBuyStatus.FAILED]);
  });
});
