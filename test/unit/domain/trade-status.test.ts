import { OrderOutType, OrderStatus, PayStatus, TradeStatus, outTypeOf, tradeStatusAfter } from '../../../domain';

const order = (orderStatus: string, payStatus: string) => ({ orderStatus, payStatus });

/** domain/trade-status.ts: the one rule for when a trade leaves NEW. */
describe('trade status from its orders', () => {
  it('stays NEW while any order awaits payment', () => {
    expect(tradeStatusAfter(TradeStatus.NEW, [order(OrderStatus.PAID_OFF, PayStatus.PAY_YES), order(OrderStatus.CONFIRM, PayStatus.PAY_NO)])).toBeUndefined();
    expect(tradeStatusAfter(TradeStatus.NEW, [order(OrderStatus.NEW, PayStatus.PAY_NO)])).toBeUndefined();
  });

  it('PAID_OFF once every order is paid, by the trade or one by one, or cancelled unpaid beside a paid one', () => {
    expect(tradeStatusAfter(TradeStatus.NEW, [order(OrderStatus.PAID_OFF, PayStatus.PAY_YES), order(OrderStatus.SHIPPED, PayStatus.PAY_YES)])).toBe(TradeStatus.PAID_OFF);
    expect(tradeStatusAfter(TradeStatus.NEW, [order(OrderStatus.PAID_OFF, PayStatus.PAY_YES), order(OrderStatus.CANCELLED, PayStatus.PAY_NO)])).toBe(TradeStatus.PAID_OFF);
    // A paid order cancelled later (its refund running) was paid.
    expect(tradeStatusAfter(TradeStatus.NEW, [order(OrderStatus.CANCELLED, PayStatus.REFUNDING), order(OrderStatus.PAID_OFF, PayStatus.PAY_YES)])).toBe(TradeStatus.PAID_OFF);
  });

  it('CANCELLED when every order closed unpaid', () => {
    expect(tradeStatusAfter(TradeStatus.NEW, [order(OrderStatus.CANCELLED, PayStatus.PAY_NO), order(OrderStatus.INTODB_ERROR, PayStatus.PAY_NO)])).toBe(TradeStatus.CANCELLED);
  });

  it('a COD order keeps its trade NEW until the cash is collected', () => {
    expect(tradeStatusAfter(TradeStatus.NEW, [order(OrderStatus.SHIPPED, PayStatus.PAY_NO)])).toBeUndefined();
    expect(tradeStatusAfter(TradeStatus.NEW, [order(OrderStatus.PAID_OFF, PayStatus.PAY_YES)])).toBe(TradeStatus.PAID_OFF);
  });

  it('only NEW moves, and a trade without orders stays', () => {
    expect(tradeStatusAfter(TradeStatus.PAID_OFF, [order(OrderStatus.CANCELLED, PayStatus.PAY_NO)])).toBeUndefined();
    expect(tradeStatusAfter(TradeStatus.CANCELLED, [order(OrderStatus.PAID_OFF, PayStatus.PAY_YES)])).toBeUndefined();
    expect(tradeStatusAfter(TradeStatus.NEW, [])).toBeUndefined();
  });
});

describe('order out type', () => {
  it('a group-buy order takes group-buy goods, every other order goods', () => {
    expect(outTypeOf('PINTUAN')).toBe(OrderOutType.GROUPBUY_GOODS);
    for (const type of ['NORMAL', 'CHANGE', 'SUPPLY_AGAIN']) expect(outTypeOf(type)).toBe(OrderOutType.GOODS);
  });
});
