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
}

export interface GroupMember {
  orderSn: string;
}

export interface GroupBuyState {
  groupId: string;
  status: GroupBuyStatus;
  size: number;
  deadlineIso: string;
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
