import { waitForCancelDecided } from '../support/cancellations';
import type fc from 'fast-check';
import type { ProviderName } from '../../payments';
import { OrderStatus } from '../../domain';
import { ADDRESS, newBuyerId, seedShop } from '../support/checkout';
import { waitForStatus } from '../support/orders';
import { MoneyModel, MoneyReal, ModelOrder, brief, canShip, hasPayment, percentOf, pick, reasonOf } from './model';

/**
 * Commands on orders: checkout (one or two shops, full reductions, coupons), pay, ship / receive,
 * seller cancel, support goodwill refund, and replays of earlier idempotent requests. Each keeps the
 * last thing it did in `done` so a failing sequence prints what happened, not only what was drawn.
 */
type Cmd = fc.AsyncCommand<MoneyModel, MoneyReal>;

export interface ShopShape {
  goods: { priceFen: number; quantity: number }[];
  shippingFen: number;
  fullReduction?: { thresholdFen: number; discountFen: number };
  coupon?: { thresholdFen: number; valueFen: number };
}

const fen = (n: number) => (n / 100).toFixed(2);
const describeShop = (s: ShopShape) =>
  `[${s.goods.map((g) => `${g.quantity}×${fen(g.priceFen)}`).join(' + ')}${s.shippingFen ? ` ship ${fen(s.shippingFen)}` : ''}${s.fullReduction ? ` −${fen(s.fullReduction.discountFen)}/${fen(s.fullReduction.thresholdFen)}` : ''}${s.coupon ? ` coupon −${fen(s.coupon.valueFen)}/${fen(s.coupon.thresholdFen)}` : ''}]`;

export class CheckoutCommand implements Cmd {
  done = '';
  constructor(readonly shops: ShopShape[]) {}
  check(model: Readonly<MoneyModel>) {
    return model.orders.length < 5;
  }
  async run(model: MoneyModel, real: MoneyReal) {
    const { system } = real;
    const buyerId = newBuyerId();
    const buyer = system.token('buyer', buyerId);
    const seeded: { sellerId: number; couponId?: number }[] = [];
    for (const shop of this.shops) {
      const goodsFen = shop.goods.reduce((s, g) => s + g.priceFen * g.quantity, 0);
      // A coupon the order qualifies for (an unusable one would refuse the whole checkout, by design).
      const coupon = shop.coupon && { thresholdFen: Math.min(shop.coupon.thresholdFen, goodsFen), valueFen: Math.min(shop.coupon.valueFen, goodsFen - 1) };
      const made = await seedShop(system, { goods: shop.goods.map((g) => ({ priceFen: g.priceFen, stock: 10 })), shippingFen: shop.shippingFen, fullReduction: shop.fullReduction, coupon });
      made.skuIds.forEach((skuId) => model.skus.set(skuId, 10));
      for (const [i, skuId] of made.skuIds.entries()) await real.must('add to cart', 'POST', '/cart/items', { token: buyer, body: { skuId, quantity: shop.goods[i].quantity } });
      seeded.push(made);
    }
    for (const shop of seeded) {
      if (!shop.couponId) continue;
      const { memberCouponId } = await real.must('claim coupon', 'POST', `/coupons/${shop.couponId}/claim`, { token: buyer });
      await real.must('select coupon', 'PUT', `/checkout/coupons/${shop.sellerId}`, { token: buyer, body: { memberCouponId } });
    }
    const answer = await real.idempotent(model, 'checkout', 'POST', '/checkout', buyer, { address: ADDRESS, paymentType: 'ONLINE' });
    if (answer.status !== 201) throw new Error(`checkout refused: ${brief(answer)}`);
    const sns: string[] = [];
    for (const o of answer.body.orders as { orderSn: string; sellerId: number; orderFen: number }[]) {
      await waitForStatus(system, o.orderSn, OrderStatus.CONFIRM, 60_000);
      const items: { id: number; sku_id: number; num: number; paid_fen: number }[] = await system.dataSource.query('SELECT id, sku_id, num, paid_fen FROM order_item WHERE order_sn = ? ORDER BY id', [o.orderSn]);
      const [row] = await system.dataSource.query('SELECT shipping_fen FROM orders WHERE order_sn = ?', [o.orderSn]);
      model.orders.push({
        orderSn: o.orderSn,
        tradeSn: answer.body.tradeSn,
        buyerId,
        sellerId: o.sellerId,
        orderFen: o.orderFen,
        shippingFen: Number(row.shipping_fen),
        lines: items.map((i) => ({ orderItemId: Number(i.id), skuId: Number(i.sku_id), num: i.num, paidFen: i.paid_fen })),
        stage: 'CONFIRM',
        paid: false,
        shipped: false,
      });
      sns.push(`${o.orderSn} ${fen(o.orderFen)} lines ${items.map((i) => `${i.num}u/${fen(i.paid_fen)}`).join(',')}`);
    }
    this.done = sns.join('; ');
  }
  toString() {
    return `Checkout(${this.shops.map(describeShop).join(' ')})`;
  }
}

export class PayCommand implements Cmd {
  done = '';
  constructor(readonly index: number, readonly provider: ProviderName) {}
  check(model: Readonly<MoneyModel>) {
    return model.orders.some((o) => o.stage === 'CONFIRM');
  }
  async run(model: MoneyModel, real: MoneyReal) {
    const order = pick(model.orders, this.index, (o) => o.stage === 'CONFIRM')!;
    const answer = await real.call('pay', 'POST', `/orders/${order.orderSn}/payment`, { token: real.buyer(order), body: { provider: this.provider } });
    if (answer.status !== 201) throw new Error(`payment of ${order.orderSn} refused: ${brief(answer)}`);
    if (this.provider === 'alipay') {
      const form = new URLSearchParams(answer.body.formItems.map((item: { name: string; value: string }) => [item.name, item.value]));
      const cashier = await fetch(answer.body.gatewayUrl, { method: 'POST', body: form });
      if (!cashier.ok) throw new Error(`Alipay cashier refused the form: ${cashier.status}`);
    }
    await real.system.sim.payTrade(answer.body.outTradeNo, this.provider);
    await waitForStatus(real.system, order.orderSn, OrderStatus.PAID_OFF, 30_000);
    Object.assign(order, { stage: 'PAID', paid: true, provider: this.provider, outTradeNo: answer.body.outTradeNo });
    this.done = order.orderSn;
  }
  toString() {
    return `Pay(#${this.index}, ${this.provider})`;
  }
}

/** The seller ships a paid order; the buyer confirms receipt when `receive` (also of an order shipped earlier). */
export class ShipCommand implements Cmd {
  done = '';
  constructor(readonly index: number, readonly receive: boolean) {}
  private eligible = (o: ModelOrder) => canShip(o) || (this.receive && o.stage === 'SHIPPED');
  check(model: Readonly<MoneyModel>) {
    return model.orders.some(this.eligible);
  }
  async run(model: MoneyModel, real: MoneyReal) {
    const order = pick(model.orders, this.index, this.eligible)!;
    const steps: string[] = [];
    if (order.stage === 'PAID') {
      const shipped = await real.call('ship', 'POST', `/orders/${order.orderSn}/shipment`, { token: real.seller(order), body: { carrier: 'SF', trackingNo: `SF${order.orderSn.slice(-8)}` } });
      steps.push(`ship ${brief(shipped)}`);
      if (shipped.status === 200) Object.assign(order, { stage: 'SHIPPED', shipped: true });
    }
    if (this.receive && order.stage === 'SHIPPED') {
      const received = await real.call('receive', 'POST', `/orders/${order.orderSn}/receipt`, { token: real.buyer(order) });
      steps.push(`receive ${brief(received)}`);
      if (received.status === 200) {
        await waitForStatus(real.system, order.orderSn, OrderStatus.ROG, 30_000);
        order.stage = 'RECEIVED';
      }
    }
    this.done = `${order.orderSn} ${steps.join(', ')}`;
  }
  toString() {
    return `Ship(#${this.index}${this.receive ? ', receive' : ''})`;
  }
}

/** Sends an idempotent request once, or twice at once with the same key (a replay racing its original). */
async function sendMaybeRacing(model: MoneyModel, real: MoneyReal, race: boolean, label: string, method: string, path: string, token: string, body: unknown) {
  if (!race) return [await real.idempotent(model, label, method, path, token, body)];
  const key = real.newKey(label);
  const answers = await Promise.all([0, 1].map(() => real.call(`${label} (racing its replay)`, method, path, { token, body, key })));
  const first = answers.find((a) => a.status < 300) ?? answers[0];
  model.requests.push({ label, method, path, token, key, body, answer: first });
  return answers;
}

export class CancelCommand implements Cmd {
  done = '';
  constructor(readonly index: number, readonly race: boolean) {}
  private eligible = (o: ModelOrder) => o.stage !== 'CANCELLED' && o.stage !== 'RECEIVED';
  check(model: Readonly<MoneyModel>) {
    return model.orders.some(this.eligible);
  }
  async run(model: MoneyModel, real: MoneyReal) {
    const order = pick(model.orders, this.index, this.eligible)!;
    const answers = await sendMaybeRacing(model, real, this.race, 'seller cancel', 'POST', `/orders/${order.orderSn}/cancellations`, real.seller(order), { reason: 'out of stock' });
    const accepted = answers.find((a) => a.status === 202);
    let decided = '';
    if (accepted) {
      // 202: cancel-{orderSn} is started; the order workflow decides when it asks. Wait for that answer.
      decided = await waitForCancelDecided(real.system, accepted.body.cancellationId, 60_000);
      if (decided !== 'REFUSED') order.stage = 'CANCELLED';
    }
    this.done = `${order.orderSn} ${answers.map(brief).join(' / ')}${decided ? ` → ${decided}` : ''}`;
  }
  toString() {
    return `SellerCancel(#${this.index}${this.race ? ', racing its replay' : ''})`;
  }
}

export class GoodwillCommand implements Cmd {
  done = '';
  constructor(readonly index: number, readonly percent: number, readonly race: boolean) {}
  check(model: Readonly<MoneyModel>) {
    return model.orders.some((o) => o.paid);
  }
  async run(model: MoneyModel, real: MoneyReal) {
    const order = pick(model.orders, this.index, (o) => o.paid)!;
    const refundFen = percentOf(order.orderFen, this.percent);
    const answers = await sendMaybeRacing(model, real, this.race, 'goodwill refund', 'POST', `/support/orders/${order.orderSn}/goodwill-refunds`, real.support(), { refundFen, reason: 'goodwill' });
    this.done = `${order.orderSn} ${fen(refundFen)}: ${answers.map(brief).join(' / ')}`;
  }
  toString() {
    return `Goodwill(#${this.index}, ${this.percent}% of the order${this.race ? ', racing its replay' : ''})`;
  }
}

/** Ids an answer names: a replay must name the same ones. */
const IDS = ['tradeSn', 'orderSn', 'serviceSn', 'refundSn', 'cancellationId', 'goodwillRefundId', 'requestedFen', 'refundFen', 'totalFen'];

/** Replays an earlier idempotent request (same key, same body): same answer, no second effect (the invariants check the effects). */
export class ReplayCommand implements Cmd {
  done = '';
  constructor(readonly index: number) {}
  check(model: Readonly<MoneyModel>) {
    return model.requests.length > 0;
  }
  async run(model: MoneyModel, real: MoneyReal) {
    const original = model.requests[this.index % model.requests.length];
    const again = await real.call(`replay of ${original.label}`, original.method, original.path, { token: original.token, body: original.body, key: original.key });
    this.done = `${original.label} ${original.path}: first ${brief(original.answer)}, replay ${brief(again)}`;
    if (original.answer.status < 300) {
      if (again.status !== original.answer.status) throw new Error(`replay of ${original.label} (${original.key}) answered ${brief(again)}, the original ${original.answer.status}`);
      for (const id of IDS) {
        if (JSON.stringify(original.answer.body?.[id]) !== JSON.stringify(again.body?.[id])) throw new Error(`replay of ${original.label} (${original.key}) names ${id} ${JSON.stringify(again.body?.[id])}, the original ${JSON.stringify(original.answer.body?.[id])}`);
      }
    } else if (again.status < 300) {
      // The key's first use was refused; the same key later succeeding is a first effect, not a second: noted, not failed.
      this.done += ` (refused first: ${reasonOf(original.answer).slice(0, 60)})`;
    }
  }
  toString() {
    return `Replay(#${this.index})`;
  }
}

export { hasPayment };
