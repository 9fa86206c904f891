import { DataSource } from 'typeorm';
import { GroupBuyStatus } from '../domain';

/** Records how a group buy ended; forward only (FORMING → FORMED / FAILED), so a retry changes nothing. */
export async function settleGroupBuy(dataSource: DataSource, request: { groupId: string; status: GroupBuyStatus }): Promise<void> {
  await dataSource.query('UPDATE group_buy SET status = ? WHERE group_id = ? AND status = ?', [request.status, request.groupId, GroupBuyStatus.FORMING]);
}
