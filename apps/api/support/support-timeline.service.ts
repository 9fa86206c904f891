import { afterId, compareKeys, pageOf, type CursorKey, type PageRequest } from '../common/pagination';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/app-config';
import { readTimelineSources, searchOrders } from '../../../db/support-timeline';
import { readWorkQueue } from '../../../db/support-work-queue';
import { TimelineEntry, entryOfEvent, entryOfLog, entryOfNotification, entryOfStock, inTimeOrder, isLogOnlyStep, workflowOfEntity } from '../../../domain/support-timeline';
import { WorkKind, ageBucket, isOverdue, resolutionOf, workflowOfItem, type WorkItem } from '../../../domain/support-work';
import { complaintStateQuery } from '../../../workflows/complaint.contract';
import { orderStateQuery } from '../../../workflows/order.contract';
import { queryOrUnavailable, temporalUiLink } from '../../shared/temporal';
import { APP_CONFIG, TEMPORAL_CLIENT } from '../tokens';
import { HistoryLink, OrderHistories, PendingTimer } from './history-locator';

/** Actors whose steps start with an API call (the API records, then starts or messages the workflow). */
const PEOPLE = new Set(['BUYER', 'SELLER', 'SUPPORT', 'ADMIN']);

export type LinkedEntry = TimelineEntry & { history: HistoryLink | null };

/** Support's one story of an order, its search, and the work queue (read side only). */
@Injectable()
export class SupportTimelineService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async timeline(orderSn: string) {
    const sources = await readTimelineSources(this.dataSource, orderSn);
    if (!sources) throw new NotFoundException(`order ${orderSn} not found`);
    let histories: OrderHistories | null = null;
    let historyUnavailable: string | undefined;
    try {
      const known = sources.events.map((e) => workflowOfEntity({ type: e.entityType, id: e.entityId }, orderSn));
      histories = await this.temporal.withDeadline(Date.now() + 20_000, () => OrderHistories.load(this.temporal, this.config.temporal, orderSn, known));
    } catch (err) {
      historyUnavailable = (err as Error).message.split('\n')[0];
    }
    const steps = inTimeOrder([
      ...sources.events.map(entryOfEvent),
      ...sources.log.filter((row) => isLogOnlyStep(row.eventKey)).map(entryOfLog),
      ...sources.stock.map((row) => entryOfStock(orderSn, row)),
      ...sources.notifications.map(entryOfNotification),
    ]);
    const entries: LinkedEntry[] = steps.map((entry) => ({ ...entry, history: histories?.locate(Date.parse(entry.at), workflowOfEntity(entry.entity, orderSn), PEOPLE.has(entry.actor.role)) ?? null }));
    entries.push(...(await this.pendingTimers(orderSn, sources, histories)));
    return {
      order: sources.order,
      entries,
      workflows: (histories?.runs ?? []).map((run) => ({ ...run, temporalUiUrl: `${temporalUiLink(this.config.temporal, run.workflowId)}/${encodeURIComponent(run.runId)}/history` })),
      waiting: (await this.workQueue({ orderSn })).items,
      ...(historyUnavailable ? { historyUnavailable } : {}),
    };
  }

  /**
   * Timers still to fire: what the workflows say they wait for (the order's next timer and what holds
   * it, a complaint's deadline), the after-sale deadlines of the table, each with its TimerStarted
   * event when the history has one pending.
   */
  private async pendingTimers(orderSn: string, sources: NonNullable<Awaited<ReturnType<typeof readTimelineSources>>>, histories: OrderHistories | null): Promise<LinkedEntry[]> {
    const timers: LinkedEntry[] = [];
    const pendingOf = (workflowId: string): PendingTimer | undefined => histories?.pendingTimers.filter((t) => t.workflowId === workflowId).sort((a, b) => b.eventId - a.eventId)[0];
    const entry = (workflowId: string, at: string, what: string, key: string): LinkedEntry => {
      const timer = pendingOf(workflowId);
      return {
        at,
        kind: 'timer.pending',
        source: 'workflow',
        key,
        entity: null,
        actor: { role: 'SYSTEM_TIMER', id: null },
        what,
        moneyFen: null,
        stock: null,
        history: timer && histories ? histories.link({ ...timer, event: `TimerStarted ${timer.timerId}` }) : null,
      };
    };
    const order = await queryOrUnavailable(this.temporal.workflow.getHandle(`order-${orderSn}`), orderStateQuery);
    if (!('unavailable' in order) && order.nextTimer) {
      const held = order.nextTimer.heldBy?.length ? `; held by after-sale(s) ${order.nextTimer.heldBy.join(', ')}` : '';
      timers.push(entry(`order-${orderSn}`, order.nextTimer.atIso, `order timer: ${order.nextTimer.operation} fires at ${order.nextTimer.atIso}${held}`, `timer:order:${order.nextTimer.operation}`));
    }
    for (const d of sources.afterSaleDeadlines) {
      timers.push(entry(`after-sale-${d.serviceSn}`, d.deadlineAt.toISOString(), `after-sale ${d.serviceSn} (${d.status}) deadline: ${d.deadlineAction} at ${d.deadlineAt.toISOString()}`, `timer:after-sale:${d.serviceSn}`));
    }
    for (const id of sources.openComplaintIds) {
      const state = await queryOrUnavailable(this.temporal.workflow.getHandle(`complaint-${id}`), complaintStateQuery);
      if ('unavailable' in state || !state.deadline) continue;
      timers.push(entry(`complaint-${id}`, state.deadline.atIso, `complaint ${id} (${state.status}) deadline: ${state.deadline.action} at ${state.deadline.atIso}`, `timer:complaint:${id}`));
    }
    return timers.sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Orders found by number, buyer or seller, newest first, by cursor (common/pagination.ts). */
  async search(query: { orderSn?: string; buyerId?: number; sellerId?: number }, page: PageRequest) {
    const rows = await searchOrders(this.dataSource, query, { beforeId: afterId(page), take: page.limit + 1 });
    return pageOf(rows, page, (row) => [row.id], ({ id: _id, ...header }) => header);
  }

  /**
   * Everything waiting on a person, oldest first (by when it started waiting, then kind and id: a
   * stable order, unlike its age), with its age, service level and the endpoint that resolves it.
   * Paged by cursor when `page` is given (the API); the timeline's `waiting` takes an order's all.
   */
  async workQueue(filter: { kinds?: WorkKind[]; orderSn?: string } = {}, page?: PageRequest) {
    const levels = this.config.supportQueue.serviceLevelsMs;
    const keyOf = (item: WorkItem): CursorKey => [item.since, item.kind, item.id];
    const all = (await readWorkQueue(this.dataSource, filter)).sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
    const after = page?.after;
    const rest = after ? all.filter((item) => compareKeys(keyOf(item), after) > 0) : all;
    const { items, nextCursor } = page ? pageOf(rest.slice(0, page.limit + 1), page, keyOf) : { items: rest, nextCursor: null };
    return {
      serviceLevelsMs: levels,
      nextCursor,
      items: items.map((item) => {
        const workflowId = workflowOfItem(item);
        return {
          ...item,
          serviceLevelMs: levels[item.kind],
          overdue: isOverdue(item, levels),
          ageBucket: ageBucket(item.ageMs, levels[item.kind]),
          resolution: resolutionOf(item),
          workflowId,
          temporalUiUrl: workflowId ? temporalUiLink(this.config.temporal, workflowId) : null,
        };
      }),
    };
  }
}
