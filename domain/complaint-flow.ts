import { Actor, ComplainStatus, ComplainWindowStatus, OrderStatus } from './enums';
import { ErrorCode } from './error-codes';
import { TransitionCheck, TransitionRule, TransitionTable, checkTransition } from './transition-table';

/**
 * The complaint flow (javashop OrderComplainManagerImpl, reference/order-model.md §1.2) as one data
 * table, consulted by the API (fast 409) and by the complaint workflow (the authority), like the
 * order's allowed-operations table. Pure: imported by workflow code.
 */
export const ComplaintAction = {
  /** Support reviews the complaint and accepts it for the seller's answer (javashop `auth`). */
  REVIEW: 'REVIEW',
  /** The seller answers / appeals: the dialogue opens (javashop `appeal`). */
  APPEAL: 'APPEAL',
  /** A message from the buyer, the seller or support in the dialogue (es_order_complain_communication). */
  MESSAGE: 'MESSAGE',
  /** Either side, or the seller-silence deadline, hands the case to support (javashop `arbitrate`). */
  REQUEST_ARBITRATION: 'REQUEST_ARBITRATION',
  /** Support decides; the result may order a refund (javashop `complete`). */
  ARBITRATE: 'ARBITRATE',
  /** The buyer withdraws it, or the buyer-idle deadline closes it. */
  WITHDRAW: 'WITHDRAW',
} as const;
export type ComplaintAction = (typeof ComplaintAction)[keyof typeof ComplaintAction];

export type ComplaintFlowRule = TransitionRule<ComplainStatus, ComplaintAction>;

const { NEW, WAIT_APPEAL, COMMUNICATION, WAIT_ARBITRATION, COMPLETE, CANCEL } = ComplainStatus;
const OPEN: readonly ComplainStatus[] = [NEW, WAIT_APPEAL, COMMUNICATION, WAIT_ARBITRATION];

export const COMPLAINT_FLOW: readonly ComplaintFlowRule[] = [
  { from: [NEW], action: ComplaintAction.REVIEW, to: WAIT_APPEAL, actors: [Actor.SUPPORT] },
  { from: [WAIT_APPEAL], action: ComplaintAction.APPEAL, to: COMMUNICATION, actors: [Actor.SELLER] },
  // Support may speak while it arbitrates; the parties may add evidence until the decision.
  { from: [COMMUNICATION, WAIT_ARBITRATION], action: ComplaintAction.MESSAGE, to: 'SAME', actors: [Actor.BUYER, Actor.SELLER, Actor.SUPPORT] },
  // A seller who never answers loses the dialogue: the timer sends the case to support.
  { from: [WAIT_APPEAL], action: ComplaintAction.REQUEST_ARBITRATION, to: WAIT_ARBITRATION, actors: [Actor.SYSTEM_TIMER] },
  { from: [COMMUNICATION], action: ComplaintAction.REQUEST_ARBITRATION, to: WAIT_ARBITRATION, actors: [Actor.BUYER, Actor.SELLER, Actor.SYSTEM_TIMER] },
  { from: [WAIT_ARBITRATION], action: ComplaintAction.ARBITRATE, to: COMPLETE, actors: [Actor.SUPPORT] },
  { from: OPEN, action: ComplaintAction.WITHDRAW, to: CANCEL, actors: [Actor.BUYER] },
  // A buyer who stops answering the seller abandons the complaint.
  { from: [COMMUNICATION], action: ComplaintAction.WITHDRAW, to: CANCEL, actors: [Actor.SYSTEM_TIMER] },
];

export type ComplaintCheck = TransitionCheck<ComplainStatus, typeof ErrorCode.ComplaintStepRefused>;

const COMPLAINT_TABLE: TransitionTable<ComplainStatus, ComplaintAction, typeof ErrorCode.ComplaintStepRefused> = {
  rules: COMPLAINT_FLOW,
  refuse: ({ state, action, actor }, why) => ({
    code: ErrorCode.ComplaintStepRefused,
    reason:
      why.kind === 'NOT_FOR_ACTOR'
        ? `${actor} may not ${describeAction(action)} a ${state} complaint`
        : isComplaintClosed(state)
          ? `the complaint is closed (${state})`
          : `${describeAction(action)} is not possible while the complaint is ${state}`,
  }),
};

export function checkComplaintAction(status: ComplainStatus, action: ComplaintAction, actor: Actor): ComplaintCheck {
  return checkTransition(COMPLAINT_TABLE, { state: status, action, actor });
}

export function isComplaintClosed(status: ComplainStatus): boolean {
  return status === COMPLETE || status === CANCEL;
}

function describeAction(action: ComplaintAction): string {
  return action.toLowerCase().replace(/_/g, ' ');
}

/** Order statuses in which the buyer holds (or has paid for) the goods and may complain. */
const COMPLAINABLE: readonly OrderStatus[] = [OrderStatus.PAID_OFF, OrderStatus.FORMED, OrderStatus.SHIPPED, OrderStatus.ROG, OrderStatus.COMPLETE];

export interface ComplaintFilingContext {
  orderStatus: OrderStatus;
  /** orders.complain_status: the order workflow closes it (EXPIRED) at complain_expired_day. */
  windowStatus: ComplainWindowStatus;
  completedAtMs?: number;
  nowMs: number;
  complainExpiredMs: number;
}

/**
 * Why a buyer may not file a complaint now, or undefined: within complain_expired_day of completion,
 * or at any time while the paid order is still open. The timer's EXPIRED flag and the clock agree
 * normally; either closes the window (the timer may run late, the clock never does).
 */
export function complaintFilingRefusal(context: ComplaintFilingContext): string | undefined {
  if (!COMPLAINABLE.includes(context.orderStatus)) return `an order that is ${context.orderStatus} cannot be complained about`;
  const closed =
    context.windowStatus === ComplainWindowStatus.EXPIRED ||
    (context.orderStatus === OrderStatus.COMPLETE && context.completedAtMs !== undefined && context.nowMs > context.completedAtMs + context.complainExpiredMs);
  return closed ? 'the complaint window of this order has closed (complain_expired_day after completion)' : undefined;
}

/**
 * A line's complaint status as javashop keeps it (ComplainSkuStatusEnum), derived from the facts
 * that have one owner each: the line's complaints (their workflows) and the order's window (the
 * order workflow). APPLYING while one is open; CANCEL and COMPLETE free the line (COMPLETE).
 */
export function lineComplainStatus(facts: { openComplaint: boolean; closedComplaints: number; windowStatus: ComplainWindowStatus }): ComplainWindowStatus {
  if (facts.openComplaint) return ComplainWindowStatus.APPLYING;
  if (facts.windowStatus === ComplainWindowStatus.EXPIRED) return ComplainWindowStatus.EXPIRED;
  return facts.closedComplaints > 0 ? ComplainWindowStatus.COMPLETE : ComplainWindowStatus.NO_APPLY;
}

/** Which party the complaint waits for, so the right deadline runs. */
export type ComplaintWaitingOn = 'SUPPORT' | 'SELLER' | 'BUYER';

/**
 * Whom an open complaint waits for: support to review or arbitrate; the seller to answer; in the
 * dialogue, whichever of buyer and seller did not speak last (support's messages change nothing).
 */
export function complaintWaitingOn(status: ComplainStatus, lastParty: 'BUYER' | 'SELLER' | undefined): ComplaintWaitingOn | undefined {
  switch (status) {
    case NEW:
    case WAIT_ARBITRATION:
      return 'SUPPORT';
    case WAIT_APPEAL:
      return 'SELLER';
    case COMMUNICATION:
      return lastParty === 'BUYER' ? 'SELLER' : 'BUYER';
    default:
      return undefined;
  }
}
