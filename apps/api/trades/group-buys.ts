import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/app-config';
import { GROUP_BUY_WORKFLOW, groupBuyStateQuery, groupBuyWorkflowId, memberJoinedSignal } from '../../../workflows/group-buy.contract';
import { signalWithStartWorkflow } from '../../shared/start-workflows';
import { queryOrUnavailable, temporalUiLink } from '../../shared/temporal';
import type { Principal } from '../auth/principal';
import { readGroupBuy, readGroupBuyTerms } from '../../../db/group-buys';
import { buyerIsInGroup, readGroupMemberOrders } from '../../../db/order-reads';
import { sellerOwnsGoods } from '../../../db/goods';
import { APP_CONFIG, TEMPORAL_CLIENT } from '../tokens';
import { workPriority } from '../../../domain';

/** Group buys: each is a `group-{groupId}` workflow, started by its first member's checkout. */
@Injectable()
export class GroupBuys {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Adds a member: starts the group's workflow if this is its first member, else signals it (one call).
   * A replayed checkout joins only if the first attempt never did: the group would take a second
   * signal for the same member (it counts it once, but its history would not).
   */
  async join(groupId: string, orderSn: string, options: { replay?: boolean } = {}): Promise<void> {
    if (options.replay && (await this.joinedOrFinished(groupId, orderSn))) return;
    const group = await readGroupBuyTerms(this.dataSource, groupId);
    try {
      await this.signalWithStart(groupId, orderSn, group);
    } catch (err) {
      // A replayed checkout: the group finished between the look and the signal.
      if (!(options.replay && err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** The order is one of the group's members, or the group has finished (it takes no one any more). */
  private async joinedOrFinished(groupId: string, orderSn: string): Promise<boolean> {
    const handle = this.temporal.workflow.getHandle(groupBuyWorkflowId(groupId));
    try {
      if ((await handle.describe()).status.name !== 'RUNNING') return true;
      return (await handle.query(groupBuyStateQuery)).members.some((m) => m.orderSn === orderSn);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  private async signalWithStart(groupId: string, orderSn: string, group: { sku_id: number; size: number; deadline_at: Date; activity_id: number | null; auto_form: number | null }): Promise<void> {
    await signalWithStartWorkflow(this.temporal, GROUP_BUY_WORKFLOW, {
      workflowId: groupBuyWorkflowId(groupId),
      taskQueue: this.config.temporal.taskQueue,
      args: [{
        groupId, skuId: group.sku_id, size: group.size, deadlineIso: new Date(group.deadline_at).toISOString(),
        ...(group.activity_id !== null ? { activityId: Number(group.activity_id), autoForm: Boolean(group.auto_form) } : {}),
      }],
      signal: memberJoinedSignal,
      signalArgs: [{ orderSn }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      priority: workPriority('group-buy', this.config.workPriorities),
    });
  }

  /**
   * The member list shows other buyers' order numbers: a buyer sees only a group they are in, a
   * seller only a group buying their goods; anyone else gets 404, like an order (a 403 would tell
   * them the group exists).
   */
  async get(principal: Principal, groupId: string) {
    const group = await readGroupBuy(this.dataSource, groupId);
    if (!group) throw new NotFoundException(`group ${groupId} not found`);
    if (principal.role === 'buyer') {
      if (!(await buyerIsInGroup(this.dataSource, groupId, principal.id))) throw new NotFoundException(`group ${groupId} not found`);
    }
    if (principal.role === 'seller') {
      if (!(await sellerOwnsGoods(this.dataSource, group.skuId, principal.id))) throw new NotFoundException(`group ${groupId} not found`);
    }
    const members = await readGroupMemberOrders(this.dataSource, groupId);
    const workflowId = groupBuyWorkflowId(groupId);
    const live = await queryOrUnavailable(this.temporal.workflow.getHandle(workflowId), groupBuyStateQuery);
    return { ...group, members, workflow: { workflowId, temporalUiUrl: temporalUiLink(this.config.temporal, workflowId), state: live } };
  }
}
