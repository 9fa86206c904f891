import type { TestSystem } from './system';

export interface ActivityTerms {
  skuId: number;
  groupPriceFen: number;
  groupSize: number;
  quotaUnits?: number;
  limitPerBuyer?: number;
  autoForm?: boolean;
  /** Default: the test system's GROUP_BUY_DEADLINE. */
  formWithinSeconds?: number;
  endsAt?: string;
}

/** The seller sets up a group-buy activity through the API (POST /seller/group-buy-activities); returns its id. */
export async function createActivity(system: TestSystem, sellerId: number, terms: ActivityTerms): Promise<number> {
  const created = await system.http('POST', '/seller/group-buy-activities', {
    token: system.token('seller', sellerId),
    body: {
      skuId: terms.skuId,
      groupPriceFen: terms.groupPriceFen,
      groupSize: terms.groupSize,
      endsAt: terms.endsAt ?? new Date(Date.now() + 86_400_000).toISOString(),
      quotaUnits: terms.quotaUnits ?? 100,
      limitPerBuyer: terms.limitPerBuyer ?? 10,
      autoForm: terms.autoForm ?? false,
      ...(terms.formWithinSeconds !== undefined ? { formWithinSeconds: terms.formWithinSeconds } : {}),
    },
  });
  if (created.status !== 201) throw new Error(`activity not created: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id;
}
