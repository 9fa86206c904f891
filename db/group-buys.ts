import { GroupBuyStatus } from '../domain';
import type { Queryable } from './queryable';

/**
 * The `group_buy` table: a checkout opens a group (FORMING); the group-buy workflow's activity records
 * how it ended (FORMED / FAILED). Its status has that one writer after the insert.
 */

export interface GroupBuyRow {
  groupId: string;
  skuId: number;
  /** The seller's group-buy activity the group was opened in (null: a group from before activities). */
  activityId: number | null;
  size: number;
  status: string;
  deadlineAt: Date;
}

/** The group, locked for the rest of the checkout joining it; undefined when there is none. */
export async function lockGroupBuy(manager: Queryable, groupId: string): Promise<GroupBuyRow | undefined> {
  const [group]: GroupBuyRow[] = await manager.query(
    'SELECT group_id AS groupId, sku_id AS skuId, activity_id AS activityId, size, status, deadline_at AS deadlineAt FROM group_buy WHERE group_id = ? FOR UPDATE',
    [groupId],
  );
  return group;
}

/** A new group, FORMING, opened by its first member's checkout. */
export async function insertGroupBuy(manager: Queryable, group: GroupBuyRow): Promise<void> {
  await manager.query('INSERT INTO group_buy (group_id, sku_id, activity_id, size, status, deadline_at) VALUES (?, ?, ?, ?, ?, ?)', [group.groupId, group.skuId, group.activityId, group.size, group.status, group.deadlineAt]);
}

/** Records how a group buy ended; forward only (FORMING → FORMED / FAILED), so a retry changes nothing. */
export async function settleGroupBuyStatus(db: Queryable, groupId: string, status: GroupBuyStatus): Promise<void> {
  await db.query('UPDATE group_buy SET status = ? WHERE group_id = ? AND status = ?', [status, groupId, GroupBuyStatus.FORMING]);
}

/** What the group's workflow is started with: its own terms and its activity's auto-form rule. */
export async function readGroupBuyTerms(db: Queryable, groupId: string): Promise<{ sku_id: number; size: number; deadline_at: Date; activity_id: number | null; auto_form: number | null }> {
  const [group] = await db.query(
    `SELECT g.sku_id, g.size, g.deadline_at, g.activity_id, a.auto_form
       FROM group_buy g LEFT JOIN group_buy_activity a ON a.id = g.activity_id WHERE g.group_id = ?`,
    [groupId],
  );
  return group;
}

/** The group as its page shows it; undefined when there is none. */
export async function readGroupBuy(db: Queryable, groupId: string): Promise<Record<string, any> | undefined> {
  const [group] = await db.query('SELECT group_id AS groupId, sku_id AS skuId, activity_id AS activityId, size, status, deadline_at AS deadlineAt, created_at AS createdAt FROM group_buy WHERE group_id = ?', [groupId]);
  return group;
}
