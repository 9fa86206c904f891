/**
 * The group-buy workflow's contract (`group-{groupId}`): members join at checkout and count once paid;
 * the group tells each member's order workflow whether it formed.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { GroupBuyStatus } from '../domain';
import { workflowRef } from './workflow-ref';

export const groupBuyWorkflowId = (groupId: string) => `group-${groupId}`;

export interface GroupBuyInput {
  groupId: string;
  skuId: number;
  /** Paid members needed for the group to form. */
  size: number;
  deadlineIso: string;
  /** The seller's group-buy activity the group was opened in (absent: a group from before activities). */
  activityId?: number;
  /**
   * The activity's rule for a group short of members at its deadline: formed anyway with its paid
   * members (true), or failed (false / absent, as every group before activities).
   */
  autoForm?: boolean;
}

export interface GroupMember {
  orderSn: string;
}

export interface GroupBuyState {
  groupId: string;
  status: GroupBuyStatus;
  size: number;
  deadlineIso: string;
  /** Whether the group formed short of members at its deadline, by its activity's auto-form rule. */
  autoFormed?: boolean;
  members: { orderSn: string; paid: boolean; left: boolean }[];
}

export const memberJoinedSignal = defineSignal<[GroupMember]>('memberJoined');
export const memberPaidSignal = defineSignal<[GroupMember]>('memberPaid');
/** A member's order was cancelled before the group formed (it no longer counts). */
export const memberLeftSignal = defineSignal<[GroupMember]>('memberLeft');
export const groupBuyStateQuery = defineQuery<GroupBuyState>('groupState');

/** Sent by the group to each member's order workflow. */
export const groupFormedSignal = defineSignal<[{ groupId: string }]>('groupFormed');
export const groupFailedSignal = defineSignal<[{ groupId: string; reason: string }]>('groupFailed');


export type GroupBuyWorkflow = (input: GroupBuyInput) => Promise<GroupBuyState>;
export const GROUP_BUY_WORKFLOW = workflowRef<GroupBuyWorkflow>('groupBuyWorkflow');
