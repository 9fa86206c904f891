import {
  Actor,
  COMPLAINT_FLOW,
  ComplainStatus,
  ComplaintAction,
  OrderStatus,
  checkComplaintAction,
  complaintFilingRefusal,
  complaintWaitingOn,
  lineComplainStatus,
  readComplaintSettings,
} from '../../../domain';

const DAY = 86_400_000;

describe('complaint flow table', () => {
  // Written independently of the table: every allowed (status, action, actor) → next status.
  const EXPECTED = `
NEW              REVIEW               SUPPORT       WAIT_APPEAL
NEW              WITHDRAW             BUYER         CANCEL
WAIT_APPEAL      APPEAL               SELLER        COMMUNICATION
WAIT_APPEAL      REQUEST_ARBITRATION  SYSTEM_TIMER  WAIT_ARBITRATION
WAIT_APPEAL      WITHDRAW             BUYER         CANCEL
COMMUNICATION    MESSAGE              BUYER         COMMUNICATION
COMMUNICATION    MESSAGE              SELLER        COMMUNICATION
COMMUNICATION    MESSAGE              SUPPORT       COMMUNICATION
COMMUNICATION    REQUEST_ARBITRATION  BUYER         WAIT_ARBITRATION
COMMUNICATION    REQUEST_ARBITRATION  SELLER        WAIT_ARBITRATION
COMMUNICATION    REQUEST_ARBITRATION  SYSTEM_TIMER  WAIT_ARBITRATION
COMMUNICATION    WITHDRAW             BUYER         CANCEL
COMMUNICATION    WITHDRAW             SYSTEM_TIMER  CANCEL
WAIT_ARBITRATION MESSAGE              BUYER         WAIT_ARBITRATION
WAIT_ARBITRATION MESSAGE              SELLER        WAIT_ARBITRATION
WAIT_ARBITRATION MESSAGE              SUPPORT       WAIT_ARBITRATION
WAIT_ARBITRATION ARBITRATE            SUPPORT       COMPLETE
WAIT_ARBITRATION WITHDRAW             BUYER         CANCEL
`.trim().split('\n').map((line) => line.trim().split(/\s+/).join(' ')).sort();

  it('allows exactly the listed steps, for every status × action × actor', () => {
    const allowed: string[] = [];
    for (const status of Object.values(ComplainStatus)) {
      for (const action of Object.values(ComplaintAction)) {
        for (const actor of Object.values(Actor)) {
          const check = checkComplaintAction(status, action, actor);
          if (check.allowed) allowed.push([status, action, actor, check.to].join(' '));
        }
      }
    }
    expect(allowed.sort()).toEqual(EXPECTED);
  });

  it('explains refusals: wrong actor, wrong status, closed complaint', () => {
    expect(checkComplaintAction(ComplainStatus.WAIT_APPEAL, ComplaintAction.APPEAL, Actor.BUYER)).toEqual({ allowed: false, code: 'ComplaintStepRefused', reason: 'BUYER may not appeal a WAIT_APPEAL complaint' });
    expect(checkComplaintAction(ComplainStatus.NEW, ComplaintAction.APPEAL, Actor.SELLER)).toEqual({ allowed: false, code: 'ComplaintStepRefused', reason: 'appeal is not possible while the complaint is NEW' });
    expect(checkComplaintAction(ComplainStatus.COMPLETE, ComplaintAction.MESSAGE, Actor.BUYER)).toEqual({ allowed: false, code: 'ComplaintStepRefused', reason: 'the complaint is closed (COMPLETE)' });
    expect(checkComplaintAction(ComplainStatus.CANCEL, ComplaintAction.WITHDRAW, Actor.BUYER)).toEqual({ allowed: false, code: 'ComplaintStepRefused', reason: 'the complaint is closed (CANCEL)' });
  });

  it('has no rule leaving a closed complaint', () => {
    for (const rule of COMPLAINT_FLOW) {
      expect(rule.from).not.toContain(ComplainStatus.COMPLETE);
      expect(rule.from).not.toContain(ComplainStatus.CANCEL);
    }
  });
});

describe('complaint filing window', () => {
  const base = { windowStatus: 'NO_APPLY' as const, nowMs: 100 * DAY, complainExpiredMs: 30 * DAY };

  it('is open while a paid order is open, and for complain_expired_day after completion', () => {
    for (const orderStatus of [OrderStatus.PAID_OFF, OrderStatus.FORMED, OrderStatus.SHIPPED, OrderStatus.ROG]) {
      expect(complaintFilingRefusal({ ...base, orderStatus })).toBeUndefined();
    }
    expect(complaintFilingRefusal({ ...base, orderStatus: OrderStatus.COMPLETE, completedAtMs: 70 * DAY })).toBeUndefined();
    expect(complaintFilingRefusal({ ...base, orderStatus: OrderStatus.COMPLETE, completedAtMs: 70 * DAY - 1 })).toMatch(/window .* has closed/);
  });

  it('is closed once the timer expired it, and never open for unpaid or cancelled orders', () => {
    expect(complaintFilingRefusal({ ...base, windowStatus: 'EXPIRED', orderStatus: OrderStatus.COMPLETE, completedAtMs: 99 * DAY })).toMatch(/has closed/);
    for (const orderStatus of [OrderStatus.NEW, OrderStatus.CONFIRM, OrderStatus.CANCELLED, OrderStatus.INTODB_ERROR]) {
      expect(complaintFilingRefusal({ ...base, orderStatus })).toBe(`an order that is ${orderStatus} cannot be complained about`);
    }
  });
});

describe('line complaint status and whom a complaint waits for', () => {
  it('derives javashop ComplainSkuStatus from the line’s complaints and the order’s window', () => {
    expect(lineComplainStatus({ openComplaint: false, closedComplaints: 0, windowStatus: 'NO_APPLY' })).toBe('NO_APPLY');
    expect(lineComplainStatus({ openComplaint: true, closedComplaints: 3, windowStatus: 'EXPIRED' })).toBe('APPLYING');
    expect(lineComplainStatus({ openComplaint: false, closedComplaints: 1, windowStatus: 'NO_APPLY' })).toBe('COMPLETE');
    expect(lineComplainStatus({ openComplaint: false, closedComplaints: 1, windowStatus: 'EXPIRED' })).toBe('EXPIRED');
  });

  it('waits on support, then the seller, then whichever party did not speak last', () => {
    expect(complaintWaitingOn(ComplainStatus.NEW, undefined)).toBe('SUPPORT');
    expect(complaintWaitingOn(ComplainStatus.WAIT_APPEAL, undefined)).toBe('SELLER');
    expect(complaintWaitingOn(ComplainStatus.COMMUNICATION, 'SELLER')).toBe('BUYER');
    expect(complaintWaitingOn(ComplainStatus.COMMUNICATION, 'BUYER')).toBe('SELLER');
    expect(complaintWaitingOn(ComplainStatus.WAIT_ARBITRATION, 'BUYER')).toBe('SUPPORT');
    expect(complaintWaitingOn(ComplainStatus.COMPLETE, 'BUYER')).toBeUndefined();
  });
});

describe('complaint deadline settings', () => {
  it('default to 3 days for the seller and 7 days for the buyer, and accept any duration', () => {
    expect(readComplaintSettings(() => undefined)).toEqual({ sellerReplyMs: 3 * DAY, buyerIdleMs: 7 * DAY });
    expect(readComplaintSettings((name) => ({ COMPLAINT_SELLER_REPLY_DEADLINE: '36h', COMPLAINT_BUYER_IDLE_DEADLINE: ' ' })[name])).toEqual({ sellerReplyMs: 36 * 3_600_000, buyerIdleMs: 7 * DAY });
  });

  it('name the variable of a bad value', () => {
    expect(() => readComplaintSettings((name) => (name === 'COMPLAINT_BUYER_IDLE_DEADLINE' ? 'soon' : undefined))).toThrow(/^COMPLAINT_BUYER_IDLE_DEADLINE: "soon" is not a duration/);
    expect(() => readComplaintSettings((name) => (name === 'COMPLAINT_SELLER_REPLY_DEADLINE' ? '0s' : undefined))).toThrow(/COMPLAINT_SELLER_REPLY_DEADLINE: "0s" must be longer than zero/);
  });
});
