import { allHandlersFinished, condition, getExternalWorkflowHandle, log, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { GroupBuyStatus, groupOutcome } from '../domain';
import {
  GroupBuyInput,
  GroupBuyState,
  groupBuyStateQuery,
  groupFailedSignal,
  groupFormedSignal,
  memberJoinedSignal,
  memberLeftSignal,
  memberPaidSignal,
} from './group-buy.contract';
import { orderWorkflowId } from './order.contract';
import { DATABASE_RETRY } from './retry-policies';

const { settleGroupBuy } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: DATABASE_RETRY,
});

/**
 * A group buy (`group-{groupId}`): members join when they check out and count once paid. When `size`
 * members have paid the group forms and every paid member's order may ship. If the deadline passes
 * first, the activity's rule decides (domain groupOutcome): auto-form with at least one paid member →
 * formed with them; else the group fails and every member's order is cancelled (paid ones refunded,
 * through the same cancellation and refund workflows as any other cancel). Either way the commands
 * are the same as before activities (settle, search attribute, one signal per member): only which
 * signal each member gets depends on the rule, so histories of either shape replay.
 */
export async function groupBuyWorkflow(input: GroupBuyInput): Promise<GroupBuyState> {
  const state: GroupBuyState = { groupId: input.groupId, status: GroupBuyStatus.FORMING, size: input.size, deadlineIso: input.deadlineIso, members: [] };
  const member = (orderSn: string) => {
    let found = state.members.find((m) => m.orderSn === orderSn);
    if (!found) {
      found = { orderSn, paid: false, left: false };
      state.members.push(found);
    }
    return found;
  };
  const paidCount = () => state.members.filter((m) => m.paid && !m.left).length;

  setHandler(groupBuyStateQuery, () => state);
  setHandler(memberJoinedSignal, ({ orderSn }) => void member(orderSn));
  setHandler(memberPaidSignal, ({ orderSn }) => {
    member(orderSn).paid = true;
  });
  setHandler(memberLeftSignal, ({ orderSn }) => {
    member(orderSn).left = true;
  });

  const filled = await condition(() => paidCount() >= input.size, Math.max(Date.parse(input.deadlineIso) - Date.now(), 1));
  state.status = groupOutcome({ filled, paidMembers: paidCount(), autoForm: input.autoForm ?? false });
  const formed = state.status === GroupBuyStatus.FORMED;
  if (formed && !filled) state.autoFormed = true;
  await settleGroupBuy({ groupId: input.groupId, status: state.status });
  upsertSearchAttributes({ OrderStatus: [state.status] });

  for (const m of state.members.filter((x) => !x.left)) {
    const order = getExternalWorkflowHandle(orderWorkflowId(m.orderSn));
    try {
      if (formed && m.paid) await order.signal(groupFormedSignal, { groupId: input.groupId });
      // Formed without them (they never paid), or the deadline passed: their order is cancelled.
      else await order.signal(groupFailedSignal, { groupId: input.groupId, reason: formed ? 'the group formed without this unpaid order' : 'the group did not form before its deadline' });
    } catch (err) {
      // The member's order workflow already finished (e.g. it was cancelled): nothing to tell it.
      log.warn('group member not signalled', { orderSn: m.orderSn, error: (err as Error).message });
    }
  }
  await condition(allHandlersFinished);
  return state;
}
