import { GroupBuyStatus } from '../domain';
import type { Queryable } from './queryable';

/**
 * The `group_buy` table: a checkout opens a group (FORMING); the group-buy workflow's activity records
 * how it ended (FORMED / FAILED). Its status has that one writer after the insert.
 */

export interface GroupBuyRow {
  groupId: string;
  skuId: number;
  size: number;
  status: string;
  deadlineAt: Date;
}

/** The group, locked for the rest of the checkout joining it; undefined when there is none. */
export async function lockGroupBuy(manager: Queryable, groupId: string): Promise<GroupBuyRow | undefined> {
  const [group]: GroupBuyRow[] = await manager.query(
    'SELECT group_id AS groupId, sku_id AS skuId, size, status, deadline_at AS deadlineAt FROM group_buy WHERE group_id = ? FOR UPDATE',
    [groupId],
  );
  return group;
}

/** A new group, FORMING, opened by its first member's checkout. */
export async function insertGroupBuy(manager: Queryable, group: GroupBuyRow): Promise<void> {
  await manager.query('INSERT INTO group_buy (group_id, sku_id, size, status, deadline_at) VALUES (?, ?, ?, ?, ?)', [group.groupId, group.skuId, group.size, group.status, group.deadlineAt]);
}

/** Records how a group buy ended; forward only (FORMING → FORMED / FAILED), so a retry changes nothing. */
export async function settleGroupBuyStatus(db: Queryable, groupId: string, status: GroupBuyStatus): Promise<void> {
  await db.query('UPDATE group_buy SET status = ? WHERE group_id = ? AND status = ?', [status, groupId, GroupBuyStatus.FORMING]);
}

/** What the group's workflow is started with. */
export async function readGroupBuyTerms(db: Queryable, groupId: string): Promise<{ sku_id: number; size: number; deadline_at: Date }> {
  const [group] = await db.query('SELECT sku_id, size, deadline_at FROM group_buy WHERE group_id = ?', [groupId]);
  return group;
}

/** The group as its page shows it; undefined when there is none. */
export async function readGroupBuy(db: Queryable, groupId: string): Promise<Record<string, any> | undefined> {
  const [group] = await db.query('SELECT group_id AS groupId, sku_id AS skuId, size, status, deadline_at AS deadlineAt, created_at AS createdAt FROM group_buy WHERE group_id = ?', [groupId]);
  return group;
}
