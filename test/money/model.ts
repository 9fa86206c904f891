import type { ProviderName } from '../../payments';
import type { TestSystem } from '../support/system';

/**
 * The model of one random sequence of the money property test (test/integration/money-property.test.ts,
 * npm run soak:money): what the API told us so far — the orders and their lines, the after-sales and
 * complaints, the idempotent requests (for replays) — and the real system beside it. Commands read the
 * model for their preconditions and targets, act on the real system through HTTP, and record what the
 * API answered; the invariants (invariants.ts) then compare MySQL and the simulator's ledger with it.
 */

export type OrderStage = 'CONFIRM' | 'PAID' | 'SHIPPED' | 'RECEIVED' | 'CANCELLED';

export interface ModelLine {
  orderItemId: number;
  skuId: number;
  num: number;
  paidFen: number;
}

export interface ModelOrder {
  orderSn: string;
  tradeSn: string;
  buyerId: number;
  sellerId: number;
  orderFen: number;
  shippingFen: number;
  lines: ModelLine[];
  stage: OrderStage;
  /** Whether the payment was captured (stays true after a cancellation: the stock then was sold and restored). */
  paid: boolean;
  shipped: boolean;
  provider?: ProviderName;
  outTradeNo?: string;
}

export type AfterSaleType = 'REFUND_ONLY' | 'RETURN_GOODS';

export interface ModelAfterSale {
  serviceSn: string;
  orderSn: string;
  type: AfterSaleType;
  /** As the API last answered it (the workflow may have moved on since, e.g. PASS → REFUNDING). */
  status: string;
  lines: { orderItemId: number; num: number }[];
  requestedFen: number;
}

/** An idempotent request (Idempotency-Key) and the API's first answer: a replay must answer the same and do nothing more. */
export interface RecordedRequest {
  label: string;
  method: string;
  path: string;
  token: string;
  key: string;
  body: unknown;
  answer: Answer;
}

export interface Answer {
  status: number;
  body: any;
}

export interface MoneyModel {
  orders: ModelOrder[];
  afterSales: ModelAfterSale[];
  requests: RecordedRequest[];
  /** Every SKU this sequence seeded, with its initial stock. */
  skus: Map<number, number>;
  /** Units the seller recorded as received in good condition, per SKU (after-sale receipts the API accepted). */
  goodReturned: Map<number, number>;
}

export function emptyModel(): MoneyModel {
  return { orders: [], afterSales: [], requests: [], skus: new Map(), goodReturned: new Map() };
}

/** The real system, and a log of every HTTP answer of this sequence. */
export class MoneyReal {
  /** HTTP calls made by the commands (the soak run prints their total). */
  calls = 0;
  private keySeq = 0;
  readonly runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

  constructor(readonly system: TestSystem) {}

  newKey(prefix: string): string {
    this.keySeq += 1;
    return `${prefix.replace(/[^A-Za-z0-9]+/g, '-')}-${this.runId}-${this.keySeq}`;
  }

  buyer(order: { buyerId: number }): string {
    return this.system.token('buyer', order.buyerId);
  }

  seller(order: { sellerId: number }): string {
    return this.system.token('seller', order.sellerId);
  }

  support(): string {
    return this.system.token('support', 7);
  }

  /**
   * One API call. A 5xx, or a 4xx without a message saying why, fails the sequence right here: every
   * refusal must be a 4xx with a clear reason.
   */
  async call(label: string, method: string, path: string, options: { token: string; body?: unknown; key?: string }): Promise<Answer> {
    this.calls += 1;
    const headers = options.key ? { 'idempotency-key': options.key } : undefined;
    const answer = await this.system.http(method, path, { token: options.token, body: options.body, headers });
    checkAnswer(label, answer);
    return answer;
  }

  /** A call that must succeed (setup steps: seeding shops, claiming coupons…). */
  async must(label: string, method: string, path: string, options: { token: string; body?: unknown; key?: string }): Promise<any> {
    const answer = await this.call(label, method, path, options);
    if (answer.status >= 300) throw new Error(`${label}: expected success, got ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** An idempotent call, recorded for later replays. */
  async idempotent(model: MoneyModel, label: string, method: string, path: string, token: string, body: unknown, key = this.newKey(label)): Promise<Answer> {
    const answer = await this.untilAnswered(label, method, path, token, body, key, await this.call(label, method, path, { token, body, key }));
    model.requests.push({ label, method, path, token, key, body, answer });
    return answer;
  }

  /**
   * A 202 that says the request is recorded but its answer still pending (an after-sale application
   * whose opening no worker answered in time) is sent again with the same key, as a client polls,
   * until the answer comes (up to two minutes).
   */
  async untilAnswered(label: string, method: string, path: string, token: string, body: unknown, key: string, first: Answer): Promise<Answer> {
    let answer = first;
    for (let i = 0; i < 60 && answer.status === 202 && answer.body?.opening === 'PENDING'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      answer = await this.call(`${label} (asked again)`, method, path, { token, body, key });
    }
    return answer;
  }
}

export function checkAnswer(label: string, answer: Answer): void {
  if (answer.status >= 500) throw new Error(`${label}: the API answered ${answer.status} (5xx) ${JSON.stringify(answer.body)}`);
  if (answer.status >= 400 && !reasonOf(answer)) throw new Error(`${label}: the API refused with ${answer.status} but gave no reason: ${JSON.stringify(answer.body)}`);
}

/** The refusal's reason: a problem document's `detail` (docs/errors.md), with its code. */
export function reasonOf(answer: Answer): string {
  const detail = answer.body?.detail;
  if (typeof detail !== 'string' || !detail.trim()) return '';
  return answer.body?.code ? `${answer.body.code}: ${detail.trim()}` : detail.trim();
}

/** Short description of an answer for command logs: "201" or "409 (reason)". */
export function brief(answer: Answer): string {
  return answer.status < 300 ? String(answer.status) : `${answer.status} (${reasonOf(answer).slice(0, 90)})`;
}

/** The i-th of the items that pass `eligible` (modulo their count), or undefined if none does. */
export function pick<T>(items: T[], index: number, eligible: (item: T) => boolean): T | undefined {
  const candidates = items.filter(eligible);
  return candidates.length ? candidates[index % candidates.length] : undefined;
}

export const hasPayment = (o: ModelOrder) => o.paid && o.stage !== 'CANCELLED';
export const canShip = (o: ModelOrder) => o.stage === 'PAID';
export const isShipped = (o: ModelOrder) => o.stage === 'SHIPPED' || o.stage === 'RECEIVED';

/** Round a percentage of an amount to whole fen, at least 1. */
export function percentOf(fen: number, percent: number): number {
  return Math.max(1, Math.round((fen * percent) / 100));
}
