/**
 * Group-buy activities (issue 23 point 6, javashop's pintuan promotion): a seller sets up a group buy
 * for one SKU — the group price, how many paid members make a group, when the activity runs, how long
 * a group has to fill, how many units the activity may sell (its quota, taken as the order's
 * GROUPBUY_GOODS stock) and how many one buyer may take, and whether a group still short of members
 * at its deadline forms anyway (auto-form). Buyers open or join groups only inside an activity that
 * is running, at its price.
 *
 * Pure: the API (creating, joining), the activity repository (taking quota under the activity's row
 * lock) and the group-buy workflow (its outcome at the deadline) decide with these functions.
 */
import { GroupBuyStatus } from './enums';
import { ErrorCode, Refusal } from './error-codes';

export const GroupBuyActivityStatus = {
  /** Takes joins between its start and its end. */
  ACTIVE: 'ACTIVE',
  /** Ended early by its seller: no new group, no new member (groups already open run to their deadline). */
  ENDED: 'ENDED',
} as const;
export type GroupBuyActivityStatus = (typeof GroupBuyActivityStatus)[keyof typeof GroupBuyActivityStatus];

/** What a seller sets when creating an activity; fixed once created (only its status moves). */
export interface GroupBuyActivityTerms {
  skuId: number;
  groupPriceFen: number;
  groupSize: number;
  startsAtMs: number;
  endsAtMs: number;
  /** How long a group has to fill from when its first member opened it. */
  formWithinMs: number;
  quotaUnits: number;
  limitPerBuyer: number;
  autoForm: boolean;
}

export interface GroupBuyActivityView extends GroupBuyActivityTerms {
  status: GroupBuyActivityStatus | string;
  takenUnits: number;
}

export const GROUP_SIZE_MIN = 2;
export const GROUP_SIZE_MAX = 50;

/** Why the terms cannot make an activity for a SKU sold at `normalPriceFen` (undefined: they can). */
export function activityTermsRefusal(terms: GroupBuyActivityTerms, normalPriceFen: number): Refusal | undefined {
  const refuse = (message: string): Refusal => ({ code: ErrorCode.REQUEST_UNPROCESSABLE, message });
  if (!Number.isInteger(terms.groupPriceFen) || terms.groupPriceFen < 1) return refuse('groupPriceFen must be a whole number of fen from 1');
  if (terms.groupPriceFen > normalPriceFen) return refuse(`the group price (${terms.groupPriceFen} fen) is above the SKU's normal price (${normalPriceFen} fen)`);
  if (terms.groupSize < GROUP_SIZE_MIN || terms.groupSize > GROUP_SIZE_MAX) return refuse(`groupSize must be ${GROUP_SIZE_MIN}-${GROUP_SIZE_MAX}`);
  if (!(terms.endsAtMs > terms.startsAtMs)) return refuse('the activity must end after it starts');
  if (terms.formWithinMs < 1000) return refuse('a group needs at least one second to form');
  if (terms.limitPerBuyer > terms.quotaUnits) return refuse(`the limit per buyer (${terms.limitPerBuyer}) is above the quota (${terms.quotaUnits})`);
  return undefined;
}

/** Whether the activity takes joins at `nowMs`: ACTIVE and between its start (inclusive) and end (exclusive). */
export function activityOpenAt(activity: Pick<GroupBuyActivityView, 'status' | 'startsAtMs' | 'endsAtMs'>, nowMs: number): boolean {
  return activity.status === GroupBuyActivityStatus.ACTIVE && nowMs >= activity.startsAtMs && nowMs < activity.endsAtMs;
}

/**
 * May this buyer open or join a group of the activity for `units` units? The quota is not decided
 * here: it is taken by the repository's conditional update, so concurrent joins never oversell; an
 * order that finds it exhausted is kept with its out-status FAIL (quotaRefusal).
 */
export function joinRefusal(
  activity: GroupBuyActivityView & { id: number | string },
  request: { skuId: number; units: number; nowMs: number; buyerUnitsTaken: number; groupStatus?: GroupBuyStatus | string; groupDeadlineMs?: number },
): Refusal | undefined {
  if (request.skuId !== activity.skuId) return { code: ErrorCode.REQUEST_UNPROCESSABLE, message: `group-buy activity ${activity.id} sells SKU ${activity.skuId}, not ${request.skuId}` };
  if (!activityOpenAt(activity, request.nowMs)) {
    const why = activity.status !== GroupBuyActivityStatus.ACTIVE ? 'was ended by its seller' : request.nowMs < activity.startsAtMs ? 'has not started yet' : 'is over';
    return { code: ErrorCode.GROUP_BUY_ACTIVITY_INACTIVE, message: `group-buy activity ${activity.id} ${why}` };
  }
  if (request.groupStatus !== undefined && (request.groupStatus !== GroupBuyStatus.FORMING || (request.groupDeadlineMs ?? 0) <= request.nowMs)) {
    return { code: ErrorCode.GROUP_BUY_CLOSED, message: `the group is no longer open (${request.groupStatus})` };
  }
  if (request.buyerUnitsTaken + request.units > activity.limitPerBuyer) {
    return { code: ErrorCode.GROUP_BUY_LIMIT_REACHED, message: `group-buy activity ${activity.id} allows ${activity.limitPerBuyer} unit(s) per buyer; you hold ${request.buyerUnitsTaken}, this asks for ${request.units}` };
  }
  return undefined;
}

/** The reason an order that found the quota exhausted keeps (its out-status FAIL and the refusal's detail). */
export function quotaRefusal(activity: { id: number | string; quotaUnits: number; takenUnits: number }, units: number): Refusal {
  const left = Math.max(activity.quotaUnits - activity.takenUnits, 0);
  return { code: ErrorCode.GROUP_BUY_QUOTA_EXHAUSTED, message: `group-buy activity ${activity.id} quota exhausted: ${units} unit(s) asked, ${left} of ${activity.quotaUnits} left` };
}

/** A new group's deadline: `formWithinMs` after its first member opened it. */
export function groupDeadlineMs(activity: Pick<GroupBuyActivityTerms, 'formWithinMs'>, openedAtMs: number): number {
  return openedAtMs + activity.formWithinMs;
}

/**
 * How a group ends. Filled (its size paid) → FORMED. At the deadline short of members: FORMED when
 * the activity auto-forms and at least one member paid (the paid members get their goods at the
 * group price; javashop's "virtual" group), else FAILED (every member's order cancelled, paid ones refunded).
 */
export function groupOutcome(group: { filled: boolean; paidMembers: number; autoForm: boolean }): GroupBuyStatus {
  if (group.filled) return GroupBuyStatus.FORMED;
  return group.autoForm && group.paidMembers > 0 ? GroupBuyStatus.FORMED : GroupBuyStatus.FAILED;
}
