import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AfterSaleAction, CancellationStatus, ComplaintAction, DifferenceStatus, OrderOperate } from '../../../domain';
import {
  AFTER_SALE_ACTION_EVENTS,
  CANCELLATION_STATUS_EVENTS,
  COMPLAINT_ACTION_EVENTS,
  EVENT_CATALOGUE,
  EVENT_PAYLOAD_VERSION,
  EVENT_TYPES,
  MAX_EVENT_ID_LENGTH,
  ORDER_OPERATION_EVENTS,
  RECONCILIATION_CASE_EVENTS,
  businessEvent,
  eventActor,
} from '../../../domain/events';

/** The event catalogue (domain/events.ts): one pure function from an entity and its transition to the event, and docs/events.md naming every type. */
describe('business event catalogue', () => {
  const shipped = {
    orderSn: 'O1', operation: OrderOperate.SHIP, from: 'PAID_OFF' as const, to: 'SHIPPED' as const, payStatus: null, shipStatus: 'SHIP_YES' as const, serviceStatus: null,
    actor: eventActor('SELLER', 42), message: 'shipped', shipment: { carrier: 'SF', trackingNo: 'SF1' },
  };

  it('builds the event id from the entity and its transition key, so a retried step builds the same event', () => {
    const event = () => businessEvent({ type: 'order', id: 'O1', sellerId: '42', orderSn: 'O1' }, { type: 'order.shipped', key: 'SHIP:PAID_OFF->SHIPPED', payload: shipped });
    expect(event()).toEqual({
      eventId: 'order:O1:SHIP:PAID_OFF->SHIPPED',
      eventType: 'order.shipped',
      entityType: 'order',
      entityId: 'O1',
      sellerId: 42,
      orderSn: 'O1',
      payloadVersion: EVENT_PAYLOAD_VERSION,
      payload: shipped,
    });
    expect(event()).toEqual(event());
    expect(shipped.actor).toEqual({ role: 'SELLER', id: '42' });
  });

  it('refuses an event about the wrong entity, without a seller, without a key, or with an id too long to store', () => {
    expect(() => businessEvent({ type: 'refund', id: 'R1', sellerId: 1, orderSn: 'O1' } as never, { type: 'order.shipped', key: 'k', payload: shipped })).toThrow(/about a order, not a refund/);
    expect(() => businessEvent({ type: 'order', id: 'O1', sellerId: -1, orderSn: 'O1' }, { type: 'order.shipped', key: 'k', payload: shipped })).toThrow(/not a seller/);
    expect(() => businessEvent({ type: 'order', id: 'O1', sellerId: 1, orderSn: 'O1' }, { type: 'order.shipped', key: '', payload: shipped })).toThrow(/transition key/);
    expect(() => businessEvent({ type: 'order', id: 'O1', sellerId: 1, orderSn: 'O1' }, { type: 'order.shipped', key: 'x'.repeat(MAX_EVENT_ID_LENGTH), payload: shipped })).toThrow(/longer than/);
  });

  it('has an event for every order operation, after-sale action, complaint action, cancellation status and case status', () => {
    for (const [values, map] of [
      [Object.values(OrderOperate), ORDER_OPERATION_EVENTS],
      [Object.values(AfterSaleAction), AFTER_SALE_ACTION_EVENTS],
      [Object.values(ComplaintAction), COMPLAINT_ACTION_EVENTS],
      [Object.values(CancellationStatus), CANCELLATION_STATUS_EVENTS],
      [Object.values(DifferenceStatus), RECONCILIATION_CASE_EVENTS],
    ] as [string[], Record<string, string>][]) {
      for (const value of values) expect(EVENT_TYPES).toContain(map[value]);
    }
  });

  it('names types `{entity}.{what happened}` and gives each an entity and a description', () => {
    for (const type of EVENT_TYPES) {
      expect(type).toMatch(/^[a-z_]+\.[a-z_]+$/);
      expect(EVENT_CATALOGUE[type].summary.length).toBeGreaterThan(10);
    }
  });

  it('docs/events.md documents exactly the types of the catalogue', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'events.md'), 'utf8');
    const prefixes = [...new Set(EVENT_TYPES.map((t) => t.split('.')[0]))];
    const mentioned = new Set([...doc.matchAll(/`([a-z_]+\.[a-z_]+)`/g)].map((m) => m[1]).filter((t) => prefixes.includes(t.split('.')[0])));
    expect([...mentioned].sort()).toEqual([...EVENT_TYPES].sort());
  });
});
