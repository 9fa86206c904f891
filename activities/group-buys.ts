import { DataSource } from 'typeorm';
import { GroupBuyStatus } from '../domain';
import { settleGroupBuyStatus } from '../db/group-buys';

/** Records how a group buy ended; forward only (FORMING → FORMED / FAILED), so a retry changes nothing. */
export async function settleGroupBuy(dataSource: DataSource, request: { groupId: string; status: GroupBuyStatus }): Promise<void> {
  await settleGroupBuyStatus(dataSource, request.groupId, request.status);
}
