import {
  Actor,
  FlowType,
  ORDER_FLOW,
  OrderFlowRule,
  OrderOperate,
  OrderStatus,
  OrderType,
  PaymentType,
  allowedOperations,
  checkOperation,
  flowOf,
  isTerminalOrderStatus,
  listFlowTransitions,
  validateFlowTable,
} from '../../../domain';

/**
 * The expected behaviour, written out by hand from reference/order-model.md §1.3 and the project's
 * deliberate deviations, independently of domain/order-flow.ts. Anything not listed must be refused.
 * Columns: flow, from, operation, to, actors allowed.
 */
const EXPECTED = `
ONLINE   NEW            CONFIRM         CONFIRM     SYSTEM
ONLINE   NEW            CANCEL          CANCELLED   BUYER SELLER SUPPORT SYSTEM_TIMER
ONLINE   CONFIRM        CANCEL          CANCELLED   BUYER SELLER SUPPORT SYSTEM_TIMER
ONLINE   CONFIRM        PAY             PAID_OFF    PAYMENT_CALLBACK
ONLINE   PAID_OFF       SHIP            SHIPPED     SELLER
ONLINE   PAID_OFF       SERVICE_CANCEL  CANCELLED   BUYER SELLER SUPPORT
ONLINE   SHIPPED        ROG             ROG         BUYER SYSTEM_TIMER
ONLINE   ROG            COMPLETE        COMPLETE    SYSTEM_TIMER ADMIN
ONLINE   ROG            COMMENT         ROG         BUYER
ONLINE   AFTER_SERVICE  COMPLETE        COMPLETE    SYSTEM_TIMER ADMIN
ONLINE   COMPLETE       COMMENT         COMPLETE    BUYER

COD      NEW            CONFIRM         CONFIRM     SYSTEM
COD      NEW            CANCEL          CANCELLED   BUYER SELLER SUPPORT
COD      CONFIRM        CANCEL          CANCELLED   BUYER SELLER SUPPORT
COD      CONFIRM        SHIP            SHIPPED     SELLER
COD      SHIPPED        ROG             ROG         BUYER SYSTEM_TIMER
COD      ROG            PAY             PAID_OFF    SELLER SYSTEM_TIMER
COD      ROG            COMMENT         ROG         BUYER
COD      PAID_OFF       COMPLETE        COMPLETE    SYSTEM_TIMER ADMIN
COD      PAID_OFF       COMMENT         PAID_OFF    BUYER
COD      AFTER_SERVICE  COMPLETE        COMPLETE    SYSTEM_TIMER ADMIN
COD      COMPLETE       COMMENT         COMPLETE    BUYER

PINTUAN  NEW            CONFIRM         CONFIRM     SYSTEM
PINTUAN  NEW            CANCEL          CANCELLED   BUYER SELLER SUPPORT SYSTEM_TIMER
PINTUAN  CONFIRM        CANCEL          CANCELLED   BUYER SELLER SUPPORT SYSTEM_TIMER
PINTUAN  CONFIRM        PAY             PAID_OFF    PAYMENT_CALLBACK
PINTUAN  PAID_OFF       FORM_GROUP      FORMED      SYSTEM_TIMER
PINTUAN  PAID_OFF       SERVICE_CANCEL  CANCELLED   BUYER SELLER SUPPORT SYSTEM_TIMER
PINTUAN  FORMED         SHIP            SHIPPED     SELLER
PINTUAN  FORMED         SERVICE_CANCEL  CANCELLED   BUYER SELLER SUPPORT
PINTUAN  SHIPPED        ROG             ROG         BUYER SYSTEM_TIMER
PINTUAN  ROG            COMPLETE        COMPLETE    SYSTEM_TIMER ADMIN
PINTUAN  ROG            COMMENT         ROG         BUYER
PINTUAN  AFTER_SERVICE  COMPLETE        COMPLETE    SYSTEM_TIMER ADMIN
PINTUAN  COMPLETE       COMMENT         COMPLETE    BUYER

REPLACEMENT  NEW            CONFIRM     CONFIRM     SYSTEM
REPLACEMENT  NEW            CANCEL      CANCELLED   SELLER SUPPORT
REPLACEMENT  CONFIRM        CANCEL      CANCELLED   SELLER SUPPORT
REPLACEMENT  CONFIRM        SHIP        SHIPPED     SELLER
REPLACEMENT  SHIPPED        ROG         ROG         BUYER SYSTEM_TIMER
REPLACEMENT  ROG            COMPLETE    COMPLETE    SYSTEM_TIMER ADMIN
REPLACEMENT  ROG            COMMENT     ROG         BUYER
REPLACEMENT  AFTER_SERVICE  COMPLETE    COMPLETE    SYSTEM_TIMER ADMIN
REPLACEMENT  COMPLETE       COMMENT     COMPLETE    BUYER
`;

interface Expectation {
  to: string;
  actors: string[];
}

function parseExpected(text: string): Map<string, Expectation> {
  const expected = new Map<string, Expectation>();
  for (const line of text.split('\n')) {
    const cells = line.trim().split(/\s+/).filter(Boolean);
    if (cells.length === 0) continue;
    const [flow, from, operation, to, ...actors] = cells;
    const key = `${flow} ${from} ${operation}`;
    if (expected.has(key)) throw new Error(`expectation listed twice: ${key}`);
    expected.set(key, { to, actors });
  }
  return expected;
}

const expected = parseExpected(EXPECTED);
const flows = Object.values(FlowType);
const statuses = Object.values(OrderStatus);
const operations = Object.values(OrderOperate);
const actors = Object.values(Actor);

describe('the expectation list itself', () => {
  it('only names known flows, statuses, operations and actors', () => {
    for (const [key, { to, actors: who }] of expected) {
      const [flow, from, operation] = key.split(' ');
      expect(flows).toContain(flow);
      expect(statuses).toContain(from);
      expect(operations).toContain(operation);
      expect(statuses).toContain(to);
      for (const actor of who) expect(actors).toContain(actor);
    }
  });

  it('covers the vocabulary the tests iterate over (a new enum value must be thought about here)', () => {
    expect(flows.sort()).toEqual(['COD', 'ONLINE', 'PINTUAN', 'REPLACEMENT']);
    expect(actors.sort()).toEqual(['ADMIN', 'BUYER', 'PAYMENT_CALLBACK', 'SELLER', 'SUPPORT', 'SYSTEM', 'SYSTEM_TIMER']);
    expect(operations.sort()).toEqual(
      ['CANCEL', 'COMMENT', 'COMPLETE', 'CONFIRM', 'FORM_GROUP', 'PAY', 'ROG', 'SERVICE_CANCEL', 'SHIP'],
    );
    expect(statuses).toHaveLength(10);
  });
});

describe('checkOperation over every flow × status × operation × actor', () => {
  const cases: [string, string, string, string][] = [];
  for (const flow of flows)
    for (const status of statuses)
      for (const operation of operations) for (const actor of actors) cases.push([flow, status, operation, actor]);

  it('has the full matrix', () => {
    expect(cases).toHaveLength(4 * 10 * 9 * 7);
  });

  it.each(cases)('%s %s %s by %s', (flow, status, operation, actor) => {
    const result = checkOperation({
      flow: flow as FlowType,
      status: status as OrderStatus,
      operation: operation as OrderOperate,
      actor: actor as Actor,
    });
    const expectation = expected.get(`${flow} ${status} ${operation}`);
    if (expectation && expectation.actors.includes(actor)) {
      expect(result).toEqual({ allowed: true, to: expectation.to });
    } else {
      expect(result.allowed).toBe(false);
      if (!result.allowed) expect(result.reason.length).toBeGreaterThan(10);
    }
  });

  it('the table expands to exactly the expected entries', () => {
    const actual = listFlowTransitions().map((t) => `${t.flow} ${t.from} ${t.operation} ${t.to} ${[...t.actors].sort().join(',')}`);
    const wanted = [...expected].map(([key, e]) => `${key} ${e.to} ${[...e.actors].sort().join(',')}`);
    expect(actual.sort()).toEqual(wanted.sort());
  });
});

describe('refusal reasons', () => {
  const refusal = (flow: FlowType, status: OrderStatus, operation: OrderOperate, actor: Actor): string => {
    const result = checkOperation({ flow, status, operation, actor });
    if (result.allowed) throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
    return result.reason;
  };

  it('a shipped order cannot be cancelled: it needs an after-sale return (deviation from javashop ONLINE)', () => {
    for (const operation of [OrderOperate.SERVICE_CANCEL, OrderOperate.CANCEL]) {
      for (const flow of flows) {
        expect(refusal(flow, OrderStatus.SHIPPED, operation, Actor.SELLER)).toBe(
          'order is SHIPPED: cancelling a shipped order needs an after-sale return',
        );
      }
    }
  });

  it('terminal statuses say so, for every caller', () => {
    for (const actor of actors) {
      expect(refusal(FlowType.ONLINE, OrderStatus.CANCELLED, OrderOperate.CANCEL, actor)).toBe('order is already CANCELLED');
      expect(refusal(FlowType.COD, OrderStatus.COMPLETE, OrderOperate.PAY, actor)).toBe('order is already COMPLETE');
    }
    expect(refusal(FlowType.ONLINE, OrderStatus.INTODB_ERROR, OrderOperate.PAY, Actor.PAYMENT_CALLBACK)).toMatch(/^order is INTODB_ERROR/);
  });

  it('a payment notification can never revive a cancelled order (R8)', () => {
    for (const flow of flows) {
      expect(refusal(flow, OrderStatus.CANCELLED, OrderOperate.PAY, Actor.PAYMENT_CALLBACK)).toBe('order is already CANCELLED');
    }
  });

  it('names the actor when the operation is possible but not for them', () => {
    expect(refusal(FlowType.ONLINE, OrderStatus.SHIPPED, OrderOperate.ROG, Actor.SELLER)).toMatch(/^SELLER may not ROG\b/);
    expect(refusal(FlowType.ONLINE, OrderStatus.SHIPPED, OrderOperate.ROG, Actor.SELLER)).toContain('BUYER, SYSTEM_TIMER');
    expect(refusal(FlowType.ONLINE, OrderStatus.CONFIRM, OrderOperate.PAY, Actor.BUYER)).toMatch(/^BUYER may not PAY\b/);
    expect(refusal(FlowType.COD, OrderStatus.CONFIRM, OrderOperate.CANCEL, Actor.SYSTEM_TIMER)).toMatch(/^SYSTEM_TIMER may not CANCEL\b/);
  });

  it('points a paid order to SERVICE_CANCEL and an unpaid one to CANCEL', () => {
    expect(refusal(FlowType.ONLINE, OrderStatus.PAID_OFF, OrderOperate.CANCEL, Actor.BUYER)).toContain('SERVICE_CANCEL');
    expect(refusal(FlowType.PINTUAN, OrderStatus.FORMED, OrderOperate.CANCEL, Actor.SELLER)).toContain('SERVICE_CANCEL');
    expect(refusal(FlowType.ONLINE, OrderStatus.CONFIRM, OrderOperate.SERVICE_CANCEL, Actor.BUYER)).toMatch(/unpaid: cancel it with CANCEL/);
  });

  it('explains delivered orders, duplicates and group-buy shipping', () => {
    expect(refusal(FlowType.ONLINE, OrderStatus.ROG, OrderOperate.SERVICE_CANCEL, Actor.BUYER)).toMatch(/after-sale return/);
    expect(refusal(FlowType.COD, OrderStatus.PAID_OFF, OrderOperate.CANCEL, Actor.BUYER)).toMatch(/after-sale return/);
    expect(refusal(FlowType.ONLINE, OrderStatus.PAID_OFF, OrderOperate.PAY, Actor.PAYMENT_CALLBACK)).toBe('order is already PAID_OFF');
    expect(refusal(FlowType.ONLINE, OrderStatus.SHIPPED, OrderOperate.SHIP, Actor.SELLER)).toBe('order is already SHIPPED');
    expect(refusal(FlowType.PINTUAN, OrderStatus.PAID_OFF, OrderOperate.SHIP, Actor.SELLER)).toMatch(/group has formed/);
    expect(refusal(FlowType.ONLINE, OrderStatus.FORMED, OrderOperate.SHIP, Actor.SELLER)).toMatch(/never reaches FORMED/);
    expect(refusal(FlowType.ONLINE, OrderStatus.NEW, OrderOperate.SHIP, Actor.SELLER)).toMatch(/only CONFIRM, CANCEL is possible now/);
  });

  it('codes a refused cancel ORDER_NOT_CANCELLABLE_IN_STATE and any other refusal ORDER_OPERATION_NOT_ALLOWED', () => {
    expect(checkOperation({ flow: FlowType.ONLINE, status: OrderStatus.SHIPPED, operation: OrderOperate.SERVICE_CANCEL, actor: Actor.SELLER })).toMatchObject({ allowed: false, code: 'ORDER_NOT_CANCELLABLE_IN_STATE' });
    expect(checkOperation({ flow: FlowType.ONLINE, status: OrderStatus.COMPLETE, operation: OrderOperate.CANCEL, actor: Actor.BUYER })).toMatchObject({ allowed: false, code: 'ORDER_NOT_CANCELLABLE_IN_STATE' });
    expect(checkOperation({ flow: FlowType.ONLINE, status: OrderStatus.NEW, operation: OrderOperate.SHIP, actor: Actor.SELLER })).toMatchObject({ allowed: false, code: 'ORDER_OPERATION_NOT_ALLOWED' });
  });

  it('refuses values it does not know instead of throwing', () => {
    expect(checkOperation({ flow: 'BARTER' as FlowType, status: OrderStatus.NEW, operation: OrderOperate.CONFIRM, actor: Actor.SYSTEM }))
      .toEqual({ allowed: false, reason: 'unknown order flow "BARTER"', code: 'ORDER_OPERATION_NOT_ALLOWED' });
    expect(checkOperation({ flow: FlowType.ONLINE, status: 'LOST' as OrderStatus, operation: OrderOperate.CONFIRM, actor: Actor.SYSTEM }).allowed).toBe(false);
    expect(checkOperation({ flow: FlowType.ONLINE, status: OrderStatus.NEW, operation: 'toString' as OrderOperate, actor: Actor.SYSTEM }).allowed).toBe(false);
    expect(checkOperation({ flow: FlowType.ONLINE, status: OrderStatus.NEW, operation: OrderOperate.CONFIRM, actor: 'client' as Actor }))
      .toEqual({ allowed: false, reason: 'unknown actor "client"', code: 'ORDER_OPERATION_NOT_ALLOWED' });
  });
});

describe('replacement orders', () => {
  it('can never be paid or cancelled with a refund, by anyone, in any status', () => {
    for (const status of statuses)
      for (const actor of actors)
        for (const operation of [OrderOperate.PAY, OrderOperate.SERVICE_CANCEL]) {
          expect(checkOperation({ flow: FlowType.REPLACEMENT, status, operation, actor }).allowed).toBe(false);
        }
    expect(checkOperation({ flow: FlowType.REPLACEMENT, status: OrderStatus.CONFIRM, operation: OrderOperate.PAY, actor: Actor.PAYMENT_CALLBACK }))
      .toEqual({ allowed: false, reason: expect.stringMatching(/free: it is never paid/), code: 'ORDER_OPERATION_NOT_ALLOWED' });
  });

  it('run ship → receive → complete', () => {
    const path = [OrderOperate.CONFIRM, OrderOperate.SHIP, OrderOperate.ROG, OrderOperate.COMPLETE];
    const who = [Actor.SYSTEM, Actor.SELLER, Actor.BUYER, Actor.SYSTEM_TIMER];
    let status: OrderStatus = OrderStatus.NEW;
    path.forEach((operation, i) => {
      const result = checkOperation({ flow: FlowType.REPLACEMENT, status, operation, actor: who[i] });
      if (!result.allowed) throw new Error(result.reason);
      status = result.to;
    });
    expect(status).toBe(OrderStatus.COMPLETE);
  });
});

describe('allowedOperations', () => {
  it('lists what an actor may do now', () => {
    expect(allowedOperations(FlowType.ONLINE, OrderStatus.CONFIRM, Actor.BUYER)).toEqual([OrderOperate.CANCEL]);
    expect(allowedOperations(FlowType.ONLINE, OrderStatus.CONFIRM, Actor.PAYMENT_CALLBACK)).toEqual([OrderOperate.PAY]);
    expect(allowedOperations(FlowType.PINTUAN, OrderStatus.PAID_OFF, Actor.SYSTEM_TIMER).sort()).toEqual(['FORM_GROUP', 'SERVICE_CANCEL']);
    expect(allowedOperations(FlowType.ONLINE, OrderStatus.SHIPPED, Actor.SELLER)).toEqual([]);
    expect(allowedOperations(FlowType.ONLINE, OrderStatus.CANCELLED, Actor.ADMIN)).toEqual([]);
  });

  it('agrees with checkOperation everywhere', () => {
    for (const flow of flows)
      for (const status of statuses)
        for (const actor of actors) {
          const wanted = operations.filter((operation) => {
            const e = expected.get(`${flow} ${status} ${operation}`);
            return e !== undefined && e.actors.includes(actor);
          });
          expect(allowedOperations(flow, status, actor).sort()).toEqual(wanted.sort());
        }
  });
});

describe('flowOf', () => {
  it.each([
    [PaymentType.ONLINE, OrderType.NORMAL, 'ONLINE'],
    [PaymentType.COD, OrderType.NORMAL, 'COD'],
    // Replacements are free whatever the source's payment type (a deliberate change from javashop).
    [PaymentType.ONLINE, OrderType.CHANGE, 'REPLACEMENT'],
    [PaymentType.COD, OrderType.CHANGE, 'REPLACEMENT'],
    [PaymentType.ONLINE, OrderType.SUPPLY_AGAIN, 'REPLACEMENT'],
    [PaymentType.COD, OrderType.SUPPLY_AGAIN, 'REPLACEMENT'],
    [PaymentType.ONLINE, OrderType.PINTUAN, 'PINTUAN'],
    [PaymentType.COD, OrderType.PINTUAN, 'PINTUAN'],
  ])('%s %s → %s', (paymentType, orderType, flow) => {
    expect(flowOf(paymentType, orderType)).toBe(flow);
  });
});

describe('terminal statuses', () => {
  it('are CANCELLED, INTODB_ERROR and COMPLETE', () => {
    expect(statuses.filter(isTerminalOrderStatus).sort()).toEqual(['CANCELLED', 'COMPLETE', 'INTODB_ERROR']);
  });
});

describe('validateFlowTable', () => {
  it('finds nothing wrong with the real table', () => {
    expect(validateFlowTable()).toEqual([]);
  });

  const without = (operation: OrderOperate, flow: FlowType): OrderFlowRule[] =>
    ORDER_FLOW.map((rule) =>
      rule.operation === operation && rule.flows.includes(flow) ? { ...rule, flows: rule.flows.filter((f) => f !== flow) } : rule,
    ).filter((rule) => rule.flows.length > 0);

  it('notices when COMPLETE becomes unreachable in a flow', () => {
    expect(validateFlowTable(without(OrderOperate.FORM_GROUP, FlowType.PINTUAN))).toContain('PINTUAN: COMPLETE is not reachable from NEW');
    expect(validateFlowTable(without(OrderOperate.PAY, FlowType.COD))).toContain('COD: COMPLETE is not reachable from NEW');
  });

  it('notices dead ends, duplicates, rows out of terminal statuses and rows nobody may use', () => {
    expect(validateFlowTable(without(OrderOperate.SHIP, FlowType.PINTUAN))).toContain('PINTUAN: COMPLETE is not reachable from FORMED');
    const formedTrap = without(OrderOperate.SHIP, FlowType.PINTUAN).filter(
      (rule) => !(rule.operation === OrderOperate.SERVICE_CANCEL && rule.from.includes(OrderStatus.FORMED)),
    );
    expect(validateFlowTable(formedTrap)).toContain('PINTUAN: FORMED is reachable but has no way onward');
    expect(validateFlowTable([...ORDER_FLOW, ORDER_FLOW[0]])).toContain('ONLINE NEW CONFIRM appears more than once');
    const revive: OrderFlowRule = { flows: [FlowType.ONLINE], from: [OrderStatus.CANCELLED], operation: OrderOperate.PAY, to: OrderStatus.PAID_OFF, actors: [Actor.PAYMENT_CALLBACK] };
    expect(validateFlowTable([...ORDER_FLOW, revive])).toContain('ONLINE CANCELLED PAY leaves the terminal status CANCELLED');
    const nobody: OrderFlowRule = { ...ORDER_FLOW[0], flows: [FlowType.ONLINE], from: [OrderStatus.AFTER_SERVICE], actors: [] };
    expect(validateFlowTable([...ORDER_FLOW, nobody]).join('\n')).toMatch(/names no actor/);
  });
});
