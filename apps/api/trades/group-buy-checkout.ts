import { UnprocessableEntityException } from '@nestjs/common';
import { GroupBuyStatus, groupDeadlineMs, joinRefusal, quotaRefusal, type Refusal } from '../../../domain';
import { DomainError, ErrorCode } from '../../../domain/error-codes';
import { buyerUnitsTaken, findActivity, lockActivity, takeQuota, type GroupBuyActivity } from '../../../db/group-buy-activities';
import { GroupBuyRow, insertGroupBuy, lockGroupBuy, readGroupBuy } from '../../../db/group-buys';
import { newSn } from '../../../db/serial-numbers';
import type { Queryable } from '../../../db/queryable';
import type { GroupBuyDto } from './create-trade.dto';

/**
 * The group-buy part of a checkout (issue 23 point 6): a buyer opens a group only inside a seller's
 * group-buy activity, or joins a group opened in one, at the activity's price. The rules are
 * domain/group-buy-activity.ts; the quota is taken by the activity repository's conditional update.
 */

/**
 * The activity a group-buy checkout buys in: the one it names, or the one of the group it joins. A
 * plain read before pricing: an activity's terms (its price) never change once it is created; its
 * status and quota are decided again under its lock (joinActivityGroup).
 */
export async function activityOfCheckout(db: Queryable, request: GroupBuyDto): Promise<GroupBuyActivity> {
  if (request.groupId) {
    const group = await readGroupBuy(db, request.groupId);
    if (!group) throw new UnprocessableEntityException(`group ${request.groupId} does not exist`);
    if (group.activityId === null) throw new DomainError(ErrorCode.GROUP_BUY_CLOSED, `group ${request.groupId} was not opened in a group-buy activity and takes no new members`);
    if (request.activityId !== undefined && Number(group.activityId) !== request.activityId) throw new UnprocessableEntityException(`group ${request.groupId} belongs to activity ${group.activityId}, not ${request.activityId}`);
    return (await findActivity(db, group.activityId))!;
  }
  if (request.activityId === undefined) throw new UnprocessableEntityException("a group is opened in a seller's group-buy activity: give groupBuy.activityId (or groupBuy.groupId to join a group)");
  const activity = await findActivity(db, request.activityId);
  if (!activity) throw new UnprocessableEntityException(`group-buy activity ${request.activityId} does not exist`);
  return activity;
}

export type ActivityJoin = { group: GroupBuyRow; refusal?: undefined } | { group?: undefined; refusal: Refusal };

/**
 * Inside the checkout's transaction: locks the activity (then the group joined), decides the join
 * (joinRefusal: running, the group open, the buyer's limit — any refusal rolls the checkout back),
 * takes the quota, and opens the group if the buyer is its first member. A quota too short for the
 * order is not thrown: the caller keeps the order with its out-status FAIL and answers the refusal.
 */
export async function joinActivityGroup(
  manager: Queryable,
  request: { activityId: number; groupId?: string; skuId: number; units: number; buyerId: string; orderSn: string; now: Date },
): Promise<ActivityJoin> {
  // The activity first, then the group: every join takes them in this order (no lock-order cycle).
  const activity = (await lockActivity(manager, request.activityId))!;
  const joined = request.groupId ? await lockGroupBuy(manager, request.groupId) : undefined;
  const refusal = joinRefusal(activity, {
    skuId: request.skuId,
    units: request.units,
    nowMs: request.now.getTime(),
    buyerUnitsTaken: await buyerUnitsTaken(manager, activity.id, request.buyerId),
    ...(joined ? { groupStatus: joined.status, groupDeadlineMs: new Date(joined.deadlineAt).getTime() } : {}),
  });
  if (refusal) throw DomainError.of(refusal);
  const taken = await takeQuota(manager, { activityId: activity.id, sellerId: activity.sellerId, orderSn: request.orderSn, buyerId: request.buyerId, units: request.units });
  if (!taken) return { refusal: quotaRefusal(activity, request.units) };
  if (joined) return { group: joined };
  const group: GroupBuyRow = {
    groupId: newSn('G'),
    skuId: request.skuId,
    activityId: activity.id,
    size: activity.groupSize,
    status: GroupBuyStatus.FORMING,
    deadlineAt: new Date(groupDeadlineMs(activity, request.now.getTime())),
  };
  await insertGroupBuy(manager, group);
  return { group };
}
