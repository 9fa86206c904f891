import type fc from 'fast-check';
import { Answer, AfterSaleType, MoneyModel, MoneyReal, ModelAfterSale, ModelOrder, brief, hasPayment, isShipped, percentOf, pick } from './model';

/**
 * Commands on after-sales (apply / seller audit / buyer ships back / seller receives / buyer
 * withdraws) and complaints (walked to support's arbitration at a random refund, alone or racing a
 * second arbitration or an after-sale of the same line).
 */
type Cmd = fc.AsyncCommand<MoneyModel, MoneyReal>;

const fen = (n: number) => (n / 100).toFixed(2);

/** Which lines of an order: 0 the first, 1 the second (or the first), 2 both. */
function linesOf(order: ModelOrder, which: number) {
  if (which === 2) return order.lines;
  return [order.lines[Math.min(which, order.lines.length - 1)]];
}

async function applyAfterSale(model: MoneyModel, real: MoneyReal, order: ModelOrder, type: AfterSaleType, lines: { orderItemId: number; num: number }[], race: boolean): Promise<Answer[]> {
  const path = `/orders/${order.orderSn}/after-sales`;
  const body = { serviceType: type, lines, reason: type === 'REFUND_ONLY' ? 'never arrived' : 'not as described' };
  const token = real.buyer(order);
  let answers: Answer[];
  if (race) {
    const key = real.newKey('after-sale');
    answers = await Promise.all([0, 1].map(async () => real.untilAnswered('after-sale apply (racing its replay)', 'POST', path, token, body, key, await real.call('after-sale apply (racing its replay)', 'POST', path, { token, body, key }))));
    model.requests.push({ label: 'after-sale apply', method: 'POST', path, token, key, body, answer: answers.find((a) => a.status < 300) ?? answers[0] });
  } else {
    answers = [await real.idempotent(model, 'after-sale apply', 'POST', path, token, body)];
  }
  const created = answers.find((a) => a.status === 201);
  if (created) model.afterSales.push({ serviceSn: created.body.serviceSn, orderSn: order.orderSn, type, status: created.body.status, lines, requestedFen: created.body.requestedFen });
  return answers;
}

export class ApplyAfterSaleCommand implements Cmd {
  done = '';
  /** walk: how far the after-sale goes right away — 0 applied, 1 passed by the seller, 2 shipped back, 3 received (one damaged unit per line). */
  constructor(readonly index: number, readonly type: AfterSaleType, readonly which: number, readonly nums: number[], readonly race: boolean, readonly walk: number) {}
  check(model: Readonly<MoneyModel>) {
    return model.orders.some(isShipped);
  }
  async run(model: MoneyModel, real: MoneyReal) {
    const order = pick(model.orders, this.index, isShipped)!;
    const lines = linesOf(order, this.which).map((l, i) => ({ orderItemId: l.orderItemId, num: Math.min(this.nums[i], l.num) }));
    const answers = await applyAfterSale(model, real, order, this.type, lines, this.race);
    this.done = `${order.orderSn} ${lines.map((l) => `${l.num}u of ${l.orderItemId}`).join(', ')}: ${answers.map((a) => (a.status === 201 ? `${a.body.serviceSn} asks ${fen(a.body.requestedFen)}` : brief(a))).join(' / ')}`;
    const created = model.afterSales.find((x) => answers.some((a) => a.status === 201 && a.body.serviceSn === x.serviceSn));
    if (!created) return;
    const steps: AfterSaleStep[] = [new AuditCommand(0, true, undefined, false), new ShipBackCommand(0), new ReceiveReturnCommand(0, 1)];
    for (const step of steps.slice(0, this.walk)) {
      if (!step.from.includes(created.status) || !step.fitsType(created)) break;
      const answer = await step.step(model, real, created, order);
      if (answer.status < 300 && answer.body?.status) created.status = answer.body.status;
      this.done += `, ${step.name} ${brief(answer)}`;
      if (answer.status >= 300) break;
    }
  }
  toString() {
    return `ApplyAfterSale(#${this.index}, ${this.type}, lines ${['A', 'B', 'A+B'][this.which]}, units ${this.nums.join('/')}${this.race ? ', racing its replay' : ''}${this.walk ? `, then ${['', 'PASS', 'PASS + ship back', 'PASS + ship back + receive'][this.walk]}` : ''})`;
  }
}

/** A step on one after-sale picked among those in `from`. */
export abstract class AfterSaleStep implements Cmd {
  done = '';
  protected note = '';
  constructor(readonly index: number) {}
  abstract readonly from: string[];
  abstract readonly name: string;
  protected eligible = (a: ModelAfterSale) => this.from.includes(a.status) && this.fitsType(a);
  fitsType(_a: ModelAfterSale) {
    return true;
  }
  check(model: Readonly<MoneyModel>) {
    return model.afterSales.some(this.eligible);
  }
  async run(model: MoneyModel, real: MoneyReal) {
    const afterSale = pick(model.afterSales, this.index, this.eligible)!;
    const order = model.orders.find((o) => o.orderSn === afterSale.orderSn)!;
    this.note = '';
    const answer = await this.step(model, real, afterSale, order);
    if (answer.status < 300 && answer.body?.status) afterSale.status = answer.body.status;
    this.done = `${afterSale.serviceSn}: ${this.note}${brief(answer)}${answer.status < 300 ? ` ${afterSale.status}` : ''}`;
  }
  abstract step(model: MoneyModel, real: MoneyReal, afterSale: ModelAfterSale, order: ModelOrder): Promise<Answer>;
  protected args() {
    return '';
  }
  toString() {
    return `${this.name}(#${this.index}${this.args()})`;
  }
}

export class AuditCommand extends AfterSaleStep {
  readonly from = ['APPLY'];
  readonly name = 'SellerAudit';
  /** percent: the agreed refund as a share of the requested amount (absent: as requested; over 100: must be refused). */
  /** race: a second audit (PASS at the requested amount) is sent at the same moment; at most one may count. */
  constructor(index: number, readonly pass: boolean, readonly percent: number | undefined, readonly race: boolean) {
    super(index);
  }
  async step(_model: MoneyModel, real: MoneyReal, afterSale: ModelAfterSale, order: ModelOrder) {
    const body = this.pass
      ? { decision: 'PASS', ...(this.percent === undefined ? {} : { refundFen: percentOf(afterSale.requestedFen, this.percent) }) }
      : { decision: 'REFUSE', reason: 'the photo shows the item intact' };
    const audit = (b: unknown) => real.call('after-sale audit', 'POST', `/after-sales/${afterSale.serviceSn}/audit`, { token: real.seller(order), body: b });
    if (!this.race) return audit(body);
    const answers = await Promise.all([audit(body), audit({ decision: 'PASS' })]);
    this.note = `racing audits ${answers.map(brief).join(' / ')};`;
    return answers.find((a) => a.status < 300) ?? answers[0];
  }
  protected override args() {
    return `${this.pass ? `, PASS${this.percent === undefined ? '' : ` at ${this.percent}% of the request`}` : ', REFUSE'}${this.race ? ', racing a PASS' : ''}`;
  }
}

export class ShipBackCommand extends AfterSaleStep {
  readonly from = ['PASS'];
  readonly name = 'BuyerShipsBack';
  override fitsType(a: ModelAfterSale) {
    return a.type === 'RETURN_GOODS';
  }
  step(_model: MoneyModel, real: MoneyReal, afterSale: ModelAfterSale, order: ModelOrder) {
    return real.call('return shipment', 'POST', `/after-sales/${afterSale.serviceSn}/return-shipment`, { token: real.buyer(order), body: { carrier: 'YTO', trackingNo: `YT${afterSale.serviceSn.slice(-8)}` } });
  }
}

export class ReceiveReturnCommand extends AfterSaleStep {
  readonly from = ['FULL_COURIER'];
  readonly name = 'SellerReceives';
  constructor(index: number, readonly damaged: number) {
    super(index);
  }
  async step(model: MoneyModel, real: MoneyReal, afterSale: ModelAfterSale, order: ModelOrder) {
    const lines = afterSale.lines.map((l) => ({ orderItemId: l.orderItemId, goodNum: l.num - Math.min(this.damaged, l.num), damagedNum: Math.min(this.damaged, l.num) }));
    const answer = await real.call('return receipt', 'POST', `/after-sales/${afterSale.serviceSn}/receipt`, { token: real.seller(order), body: { lines } });
    if (answer.status === 200) {
      for (const l of lines) {
        const skuId = order.lines.find((x) => x.orderItemId === l.orderItemId)!.skuId;
        model.goodReturned.set(skuId, (model.goodReturned.get(skuId) ?? 0) + l.goodNum);
      }
    }
    return answer;
  }
  protected override args() {
    return `, ${this.damaged} damaged per line`;
  }
}

export class WithdrawCommand extends AfterSaleStep {
  readonly from = ['APPLY', 'PASS'];
  readonly name = 'BuyerWithdraws';
  step(_model: MoneyModel, real: MoneyReal, afterSale: ModelAfterSale, order: ModelOrder) {
    return real.call('after-sale withdrawal', 'POST', `/after-sales/${afterSale.serviceSn}/withdrawal`, { token: real.buyer(order), body: { reason: 'changed my mind' } });
  }
}

export type ComplaintRace = 'none' | 'two arbitrations' | 'after-sale of the line';

/**
 * The buyer complains about one line; support reviews, the seller answers, the buyer asks for
 * arbitration, and support decides with a refund of `percent` % of the line (0: none). Racing: a
 * second arbitration (another amount) at once, or a refund-only after-sale of the whole line passed
 * by the seller at the same moment. A refused arbitration is followed by one without a refund, which
 * closes the complaint and frees the line.
 */
export class ComplaintCommand implements Cmd {
  done = '';
  constructor(readonly index: number, readonly line: number, readonly percent: number, readonly race: ComplaintRace, readonly percent2: number) {}
  private eligible = (o: ModelOrder) => hasPayment(o) && (this.race !== 'after-sale of the line' || isShipped(o));
  check(model: Readonly<MoneyModel>) {
    return model.orders.some(this.eligible);
  }
  async run(model: MoneyModel, real: MoneyReal) {
    const order = pick(model.orders, this.index, this.eligible)!;
    const line = order.lines[this.line % order.lines.length];
    const log: string[] = [`${order.orderSn} line ${line.orderItemId} (paid ${fen(line.paidFen)})`];
    this.done = log.join(' ');
    const filed = await real.call('complaint', 'POST', `/orders/${order.orderSn}/complaints`, { token: real.buyer(order), body: { skuId: line.skuId, topic: 'Short weight', content: 'The tin holds 200 g, not 250 g.' } });
    log.push(`file ${brief(filed)}`);
    this.done = log.join(' ');
    if (filed.status !== 201) return;
    const id: number = filed.body.id;
    const steps: [string, string, string][] = [
      ['support', `/support/complaints/${id}/review`, 'accepted'],
      ['seller', `/complaints/${id}/appeal`, 'we weighed it'],
      ['buyer', `/complaints/${id}/arbitration-request`, 'please decide'],
    ];
    for (const [role, path, content] of steps) {
      const token = role === 'support' ? real.support() : role === 'seller' ? real.seller(order) : real.buyer(order);
      const answer = await real.call(`complaint ${path.split('/').pop()}`, 'POST', path, { token, body: { content } });
      if (answer.status >= 300) {
        log.push(`${path.split('/').pop()} ${brief(answer)}`);
        this.done = log.join(' ');
        await real.call('complaint withdrawal', 'POST', `/complaints/${id}/withdrawal`, { token: real.buyer(order), body: { content: 'giving up' } });
        return;
      }
    }
    const amount = (percent: number) => (percent ? fen(percentOf(line.paidFen, percent)) : 'no refund');
    const arbitrate = (percent: number) =>
      real.call('arbitration', 'POST', `/support/complaints/${id}/arbitration`, { token: real.support(), body: { result: `refund ${percent}% of the line`, ...(percent ? { refundFen: percentOf(line.paidFen, percent) } : {}) } });
    let answers: Answer[];
    if (this.race === 'two arbitrations') {
      answers = await Promise.all([arbitrate(this.percent), arbitrate(this.percent2)]);
      log.push(`arbitrations ${amount(this.percent)} / ${amount(this.percent2)}: ${answers.map(brief).join(' / ')}`);
    } else if (this.race === 'after-sale of the line') {
      const applied = await applyAfterSale(model, real, order, 'REFUND_ONLY', [{ orderItemId: line.orderItemId, num: line.num }], false);
      const created = applied[0].status === 201 ? model.afterSales[model.afterSales.length - 1] : undefined;
      log.push(`after-sale ${created ? `${created.serviceSn} asks ${fen(created.requestedFen)}` : brief(applied[0])}`);
      const pass = created ? real.call('after-sale audit (racing an arbitration)', 'POST', `/after-sales/${created.serviceSn}/audit`, { token: real.seller(order), body: { decision: 'PASS' } }) : undefined;
      const [arbitrated, passed] = await Promise.all([arbitrate(this.percent), pass]);
      if (created && passed && passed.status < 300) created.status = passed.body.status;
      answers = [arbitrated];
      log.push(`arbitration ${amount(this.percent)} ${brief(arbitrated)}${passed ? ` racing PASS ${brief(passed)}` : ''}`);
    } else {
      answers = [await arbitrate(this.percent)];
      log.push(`arbitration ${amount(this.percent)} ${brief(answers[0])}`);
    }
    if (!answers.some((a) => a.status < 300)) {
      // Refused (over what remains): close it without a refund so the line is free for the next one.
      const closed = await arbitrate(0);
      log.push(`then no refund ${brief(closed)}`);
    }
    this.done = log.join(', ');
  }
  toString() {
    const second = this.race === 'two arbitrations' ? ` vs ${this.percent2}%` : this.race === 'after-sale of the line' ? ' racing a refund-only after-sale PASS' : '';
    return `Complaint(#${this.index}, line ${this.line}, arbitration ${this.percent}% of the line${second})`;
  }
}
