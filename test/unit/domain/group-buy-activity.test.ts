import { ErrorCode, GroupBuyActivityStatus, GroupBuyStatus, activityOpenAt, activityTermsRefusal, groupDeadlineMs, groupOutcome, joinRefusal, quotaRefusal } from '../../../domain';

/** The group-buy activity's rules (domain/group-buy-activity.ts): terms, who may join, the outcome at the deadline. */
describe('group-buy activity rules', () => {
  const T0 = Date.parse('2026-12-07T10:00:00Z');
  const terms = { skuId: 5, groupPriceFen: 3900, groupSize: 3, startsAtMs: T0, endsAtMs: T0 + 3_600_000, formWithinMs: 600_000, quotaUnits: 10, limitPerBuyer: 2, autoForm: false };
  const activity = { ...terms, id: 1, status: GroupBuyActivityStatus.ACTIVE, takenUnits: 4 };
  const ask = (over: Partial<Parameters<typeof joinRefusal>[1]> = {}) => joinRefusal(activity, { skuId: 5, units: 1, nowMs: T0 + 1000, buyerUnitsTaken: 0, ...over });

  it('refuses terms that cannot work', () => {
    expect(activityTermsRefusal(terms, 5000)).toBeUndefined();
    expect(activityTermsRefusal(terms, 3000)?.message).toMatch(/above the SKU's normal price/);
    expect(activityTermsRefusal({ ...terms, endsAtMs: T0 }, 5000)?.message).toMatch(/end after it starts/);
    expect(activityTermsRefusal({ ...terms, limitPerBuyer: 11 }, 5000)?.code).toBe(ErrorCode.REQUEST_UNPROCESSABLE);
    expect(activityTermsRefusal({ ...terms, groupSize: 1 }, 5000)?.message).toMatch(/groupSize/);
  });

  it('is open from its start to its end while ACTIVE', () => {
    expect(activityOpenAt(activity, T0)).toBe(true);
    expect(activityOpenAt(activity, T0 - 1)).toBe(false);
    expect(activityOpenAt(activity, T0 + 3_600_000)).toBe(false);
    expect(activityOpenAt({ ...activity, status: GroupBuyActivityStatus.ENDED }, T0 + 1)).toBe(false);
  });

  it('lets a buyer join within the activity, its group open and its limit kept', () => {
    expect(ask()).toBeUndefined();
    expect(ask({ skuId: 6 })?.code).toBe(ErrorCode.REQUEST_UNPROCESSABLE);
    expect(ask({ nowMs: T0 - 1 })).toMatchObject({ code: ErrorCode.GROUP_BUY_ACTIVITY_INACTIVE, message: expect.stringContaining('not started') });
    expect(joinRefusal({ ...activity, status: GroupBuyActivityStatus.ENDED }, { skuId: 5, units: 1, nowMs: T0 + 1, buyerUnitsTaken: 0 })?.message).toMatch(/ended by its seller/);
    expect(ask({ groupStatus: GroupBuyStatus.FORMED, groupDeadlineMs: T0 + 60_000 })?.code).toBe(ErrorCode.GROUP_BUY_CLOSED);
    expect(ask({ groupStatus: GroupBuyStatus.FORMING, groupDeadlineMs: T0 })?.code).toBe(ErrorCode.GROUP_BUY_CLOSED);
    expect(ask({ buyerUnitsTaken: 1, units: 1 })).toBeUndefined();
    expect(ask({ buyerUnitsTaken: 1, units: 2 })?.code).toBe(ErrorCode.GROUP_BUY_LIMIT_REACHED);
  });

  it('says what was left when the quota refused', () => {
    expect(quotaRefusal({ id: 1, quotaUnits: 10, takenUnits: 10 }, 1)).toEqual({ code: ErrorCode.GROUP_BUY_QUOTA_EXHAUSTED, message: 'group-buy activity 1 quota exhausted: 1 unit(s) asked, 0 of 10 left' });
    expect(groupDeadlineMs(terms, T0)).toBe(T0 + 600_000);
  });

  it('forms a filled group; a short one only by auto-form with a paid member', () => {
    expect(groupOutcome({ filled: true, paidMembers: 3, autoForm: false })).toBe(GroupBuyStatus.FORMED);
    expect(groupOutcome({ filled: false, paidMembers: 2, autoForm: false })).toBe(GroupBuyStatus.FAILED);
    expect(groupOutcome({ filled: false, paidMembers: 2, autoForm: true })).toBe(GroupBuyStatus.FORMED);
    expect(groupOutcome({ filled: false, paidMembers: 0, autoForm: true })).toBe(GroupBuyStatus.FAILED);
  });
});
