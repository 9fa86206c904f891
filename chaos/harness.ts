import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { SimControl } from '../test/payments/sim-control';
import { checkCases, checkMoney, stockDrift } from './money-checks';
import { MONEY_FINAL_STATUS, MoneyExpectation, MoneyKind, StoryContext, emptyExpectation, pickMoneyKind, runMoneyStory } from './money-stories';
import { random } from './seeded-random';

/** What the harness drives and breaks: an API, its simulator, database and Temporal, and two kinds of outage. */
export interface ChaosTarget {
  apiUrl: string;
  sim: SimControl;
  dataSource: DataSource;
  temporal: Client;
  taskQueue: string;
  token(role: 'buyer' | 'seller' | 'support', id: number): string;
  /** SIGKILLs the worker process and starts a new one. */
  killWorker(): Promise<void>;
  /** Takes the database away and brings it back; `pauseTraffic` when the API loses it too. */
  databaseOutage: { run(): Promise<void>; pauseTraffic: boolean; describe: string };
}

export interface ChaosOptions {
  orders: number;
  concurrency: number;
  killEverySeconds: number;
  /** Stop killing after this many (the short run in npm test). */
  maxKills?: number;
  /** The database outage happens once this many orders have been started. */
  outageAtOrder: number;
  seed: number;
  providerFaultRate: number;
  notificationFaultRate: number;
  /** How long to wait, after driving, for every order, refund and stock movement to settle. */
  settleTimeoutMs: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  orders: number;
  byKind: Record<string, number>;
  ordersLost: string[];
  moneyMovedTwice: string[];
  moneyMismatches: string[];
  stockDrift: string[];
  workflowsFailedOrTerminated: string[];
  answers5xx: number;
  /** Which calls answered 5xx (the first 20): method, path, status, code and when, so a report says what failed. */
  calls5xx: string[];
  /** Steps answered 202 STEP_PENDING (accepted, finished later), followed to their outcome. */
  stepsPending: number;
  /** Correct refusals in money stories (a line or payment with no more to give): a 409, or an after-sale refund blocked and closed by support. */
  refusals: number;
  answersByStatus: Record<string, number>;
  workerKills: number;
  providerFaultsScripted: number;
  notificationFaultsScripted: number;
  databaseOutage: string;
  /** Seconds from each outage's end to the next order transition recorded. */
  recoverySeconds: { workerKills: number[]; database: number[] };
  durationSeconds: number;
}

type Kind = 'paid-kept' | 'paid-cancel' | 'unpaid-cancel' | 'group' | MoneyKind;
interface Planned {
  kind: Kind;
  /** A money story's accepted refunds and stock effects (chaos/money-stories.ts). */
  money?: MoneyExpectation;
  provider: 'wechatpay' | 'alipay';
  orderSns: string[];
  outTradeNos: string[];
  fen: number[];
  skuId: number;
  quantity: number;
}

const FAULTS = ['500', 'commit-then-timeout', 'rate-limit'] as const;
const SERVER_SIDE_OPERATIONS = ['queryPayment', 'closePayment', 'submitRefund', 'queryRefund'] as const;
const NOTIFICATION_MODES = ['drop', 'duplicate', 'reorder'] as const;


const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Drives mixed orders (both providers; paid and kept, paid then cancelled by the seller, unpaid
 * cancels, group buys of two) through the public API while the worker is SIGKILLed every few seconds,
 * the database goes away once, ~20 % of server-side provider calls fail (5xx, commit-then-timeout,
 * rate limit) and ~10 % of payment and refund notifications are dropped, duplicated or reordered.
 * Then it checks what must hold: no order lost, no money moved twice, stock and sales exact, no
 * workflow failed or terminated, no 5xx answer.
 */
export async function runChaos(target: ChaosTarget, options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const r = random(options.seed);
  const statuses = new Map<string, number>();
  let inFlight = 0;
  let paused: Promise<void> | undefined;
  const report: ChaosReport = {
    orders: 0, byKind: {}, ordersLost: [], moneyMovedTwice: [], moneyMismatches: [], stockDrift: [], workflowsFailedOrTerminated: [],
    answers5xx: 0, calls5xx: [], stepsPending: 0, refusals: 0, answersByStatus: {}, workerKills: 0, providerFaultsScripted: 0, notificationFaultsScripted: 0,
    databaseOutage: target.databaseOutage.describe, recoverySeconds: { workerKills: [], database: [] }, durationSeconds: 0,
  };

  /** One API call as a front end makes it: a 5xx is counted and retried, like a buyer pressing again. */
  const api = async (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> => {
    for (let attempt = 1; ; attempt += 1) {
      while (paused) await paused;
      inFlight += 1;
      let status: number;
      let text: string;
      const sent = Date.now();
      try {
        const res = await fetch(`${target.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
        status = res.status;
        text = await res.text();
      } catch (err) {
        // No answer at all (Node's fetch gives up on a response whose headers take over 300 s): name the call.
        throw new Error(`${method} ${path}: no answer after ${Math.round((Date.now() - sent) / 1000)} s (${(err as Error).message})`);
      } finally {
        inFlight -= 1;
      }
      statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1);
      if (status >= 500) {
        report.answers5xx += 1;
        if (report.calls5xx.length < 20) report.calls5xx.push(`${new Date(sent).toISOString()} ${method} ${path} → ${status} after ${Date.now() - sent} ms: ${text.slice(0, 160)}\n        ${await workflowAtThatMoment(target, text)}`);
      }
      const answer = { status, body: text ? JSON.parse(text) : undefined };
      // A step accepted but still running: its outcome is the answer (200 done, 409 refused), as a person would read it.
      if (status === 202 && answer.body?.code === 'STEP_PENDING') {
        report.stepsPending += 1;
        let outcome = await api('GET', answer.body.stepUrl, token);
        while (outcome.status === 202) outcome = await api('GET', answer.body.stepUrl, token);
        return outcome;
      }
      if (status < 500 || attempt >= 5) return answer;
      await sleep(1000);
    }
  };
  const db = async <T>(sql: string, args: unknown[]): Promise<T[]> => {
    for (;;) {
      try {
        return await target.dataSource.query(sql, args);
      } catch {
        await sleep(500); // the database is away (the outage): ask again
      }
    }
  };
  const statusOf = async (orderSn: string) => (await db<{ order_status: string }>('SELECT order_status FROM orders WHERE order_sn = ?', [orderSn]))[0]?.order_status;
  const waitFor = async (orderSn: string, wanted: string[], timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (wanted.includes((await statusOf(orderSn)) ?? '')) return true;
      await sleep(250);
    }
    return false;
  };
  const transitions = async () => Number((await db<{ n: number }>('SELECT COALESCE(MAX(id), 0) AS n FROM order_log', []))[0].n);
  const recovery = async (into: number[]) => {
    const from = Date.now();
    const before = await transitions();
    while (Date.now() - from < 120_000) {
      if ((await transitions()) > before) return void into.push(Number(((Date.now() - from) / 1000).toFixed(1)));
      await sleep(100);
    }
  };

  // Goods: a few shared SKUs (contention on one stock row), stock far above demand.
  const sellerId = 4_000_000 + Math.floor(r.next() * 1_000_000);
  const skus: { id: number; stock: number }[] = [];
  for (let i = 0; i < 4; i += 1) {
    const res = await api('POST', '/goods', target.token('seller', sellerId), { name: `chaos SKU ${i}`, priceFen: 100 + i * 37, stock: options.orders * 3 + 100 });
    skus.push({ id: res.body.id, stock: options.orders * 3 + 100 });
  }
  const seller = target.token('seller', sellerId);
  let nextBuyer = sellerId * 10;
  // Group stories buy SKU 3 in the seller's group-buy activity (groups of 2, at its normal price, a quota as large as its stock).
  const activity = await api('POST', '/seller/group-buy-activities', seller, {
    skuId: skus[3].id, groupPriceFen: 100 + 3 * 37, groupSize: 2, endsAt: new Date(Date.now() + 86_400_000).toISOString(), quotaUnits: skus[3].stock, limitPerBuyer: 3, autoForm: false,
  });
  if (activity.status !== 201) throw new Error(`group-buy activity ${activity.status} ${JSON.stringify(activity.body)}`);

  const checkout = async (buyer: number, skuId: number, quantity: number, groupBuy?: unknown) => {
    const res = await api('POST', '/trades', target.token('buyer', buyer), { items: [{ skuId, quantity }], ...(groupBuy ? { groupBuy } : {}) }, { 'Idempotency-Key': `chaos-${buyer}` });
    if (res.status !== 201) throw new Error(`checkout ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.orders[0] as { orderSn: string; orderFen: number; groupId?: string };
  };
  const scriptFaults = async (outTradeNo: string) => {
    if (r.next() < options.providerFaultRate) {
      const operation = r.pick(SERVER_SIDE_OPERATIONS);
      await target.sim.scriptFaults({ operation, ...(operation.endsWith('Refund') ? {} : { key: outTradeNo }), outcomes: [r.pick(FAULTS)] });
      report.providerFaultsScripted += 1;
    }
    if (r.next() < options.notificationFaultRate) {
      await target.sim.controlNotifications({ mode: r.pick(NOTIFICATION_MODES), kind: r.next() < 0.5 ? 'payment' : 'refund', count: 1 });
      report.notificationFaultsScripted += 1;
    }
  };
  const pay = async (buyer: number, orderSn: string, provider: 'wechatpay' | 'alipay'): Promise<string> => {
    const created = await api('POST', `/orders/${orderSn}/payment`, target.token('buyer', buyer), { provider });
    if (created.status !== 201) throw new Error(`payment ${created.status} ${JSON.stringify(created.body)}`);
    if (provider === 'alipay') {
      const form = new URLSearchParams(created.body.formItems.map((i: { name: string; value: string }) => [i.name, i.value] as [string, string]));
      await fetch(created.body.gatewayUrl, { method: 'POST', body: form });
    }
    await scriptFaults(created.body.outTradeNo);
    await target.sim.payTrade(created.body.outTradeNo, provider);
    return created.body.outTradeNo;
  };

  const story: StoryContext = { api, db, waitFor, statusOf, token: target.token, sellerId, next: r.next, sleep };
  const plans: Planned[] = [];
  const planOf = new Map<number, Planned>();
  const runOne = async (index: number): Promise<void> => {
    const roll = r.next();
    // About a third are money stories after payment (after-sales, complaints, goodwill), the rest as before.
    const kind: Kind = roll < 0.26 ? 'paid-kept' : roll < 0.42 ? 'paid-cancel' : roll < 0.55 ? 'unpaid-cancel' : roll < 0.65 ? 'group' : pickMoneyKind(r.next());
    const provider = r.next() < 0.5 ? 'wechatpay' : 'alipay';
    const sku = kind === 'group' ? skus[3] : r.pick(skus.slice(0, 3));
    const quantity = 1 + Math.floor(r.next() * 3);
    const plan: Planned = { kind, provider, orderSns: [], outTradeNos: [], fen: [], skuId: sku.id, quantity };
    plans.push(plan);
    planOf.set(index, plan);
    report.byKind[kind] = (report.byKind[kind] ?? 0) + 1;
    if (index === options.outageAtOrder) void outage();
    const buyer = (nextBuyer += 1);
    if (kind === 'group') {
      const first = await checkout(buyer, sku.id, quantity, { activityId: activity.body.id });
      const partner = (nextBuyer += 1);
      const second = await checkout(partner, sku.id, quantity, { groupId: first.groupId });
      plan.orderSns.push(first.orderSn, second.orderSn);
      plan.fen.push(first.orderFen, second.orderFen);
      for (const [who, sn] of [[buyer, first.orderSn], [partner, second.orderSn]] as const) {
        await waitFor(sn, ['CONFIRM'], 120_000);
        plan.outTradeNos.push(await pay(who, sn, r.next() < 0.5 ? 'wechatpay' : 'alipay'));
      }
      return;
    }
    const order = await checkout(buyer, sku.id, quantity);
    plan.orderSns.push(order.orderSn);
    plan.fen.push(order.orderFen);
    await waitFor(order.orderSn, ['CONFIRM'], 120_000);
    if (kind === 'unpaid-cancel') {
      if (r.next() < 0.5) await api('POST', `/orders/${order.orderSn}/payment`, target.token('buyer', buyer), { provider });
      await api('POST', `/orders/${order.orderSn}/cancellations`, target.token('buyer', buyer), { reason: 'changed my mind' }, { 'Idempotency-Key': `c-${order.orderSn}` });
      return;
    }
    plan.outTradeNos.push(await pay(buyer, order.orderSn, provider));
    if (kind in MONEY_FINAL_STATUS) {
      plan.money = emptyExpectation();
      await runMoneyStory(story, kind as MoneyKind, { orderSn: order.orderSn, buyer, skuId: sku.id, quantity, orderFen: order.orderFen }, plan.money);
    }
    if (kind === 'paid-cancel') {
      await waitFor(order.orderSn, ['PAID_OFF'], 180_000);
      await api('POST', `/orders/${order.orderSn}/cancellations`, seller, { reason: 'out of stock' }, { 'Idempotency-Key': `c-${order.orderSn}` });
    }
  };

  const outage = async () => {
    log(`database outage (${target.databaseOutage.describe})`);
    let release!: () => void;
    if (target.databaseOutage.pauseTraffic) {
      paused = new Promise<void>((resolve) => (release = resolve));
      while (inFlight > 0) await sleep(50);
    }
    try {
      await target.databaseOutage.run();
    } finally {
      if (release) {
        paused = undefined;
        release();
      }
    }
    await recovery(report.recoverySeconds.database);
  };

  // The worker is killed every K seconds while orders are being driven.
  // A run with maxKills makes all of them, even once its orders are driven (their refunds, timers and
  // late notifications are still in flight): a short run on a fast machine must not prove less.
  let driving = true;
  const moreKills = () => (options.maxKills === undefined ? driving : report.workerKills < options.maxKills);
  const killer = (async () => {
    while (moreKills()) {
      await sleep(options.killEverySeconds * 1000);
      if (!moreKills()) break;
      await target.killWorker();
      report.workerKills += 1;
      log(`worker SIGKILLed (${report.workerKills})`);
      // The next kill comes K seconds after the new worker made progress: a worker that is killed
      // before it has even started (ts-node start-up on a loaded machine) would prove nothing.
      await recovery(report.recoverySeconds.workerKills);
    }
  })();

  let next = 0;
  const errors: string[] = [];
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.orders) {
        const index = next++;
        try {
          await runOne(index);
        } catch (err) {
          const plan = planOf.get(index);
          errors.push(`order #${index} (${plan?.kind} ${plan?.orderSns.join(' ')}): ${(err as Error).message}`);
          log(`story #${index} failed: ${errors[errors.length - 1]}`);
        }
        if ((index + 1) % 20 === 0) log(`${index + 1}/${options.orders} orders driven`);
      }
    }),
  );
  driving = false;
  await killer;
  report.orders = plans.reduce((n, p) => n + p.orderSns.length, 0);
  await target.sim.flushNotifications();
  log('settling');

  // Every order in the state its story ends in.
  const expected = (kind: Kind): string[] =>
    kind in MONEY_FINAL_STATUS ? [MONEY_FINAL_STATUS[kind as MoneyKind]] : ({ 'paid-kept': ['PAID_OFF'], 'paid-cancel': ['CANCELLED'], 'unpaid-cancel': ['CANCELLED'], group: ['FORMED'] } as Record<string, string[]>)[kind];
  const deadline = Date.now() + options.settleTimeoutMs;
  for (const plan of plans) {
    for (const orderSn of plan.orderSns) {
      if (!(await waitFor(orderSn, expected(plan.kind), Math.max(deadline - Date.now(), 1000)))) report.ordersLost.push(`${orderSn} (${plan.kind}) is ${await statusOf(orderSn)}`);
    }
  }
  report.ordersLost.push(...errors);

  // Money: the simulator's ledger against what each story's accepted steps asked for, the refund rows
  // and every line's refunds (chaos/money-checks.ts); then the after-sales and complaints closed as told.
  const io = { ledger: () => target.sim.ledger(), db, sleep };
  const money = await checkMoney(io, plans, options.settleTimeoutMs);
  report.moneyMovedTwice = money.twice;
  report.moneyMismatches = money.mismatches;
  report.ordersLost.push(...(await checkCases(io, plans, options.settleTimeoutMs)));
  report.refusals = plans.reduce((n, p) => n + (p.money?.refusals.length ?? 0), 0);

  // Stock and sales: reserved by every order not cancelled, sold by every paid one not cancelled,
  // shipped by the received ones, given back by after-sales (good units restocked, refunded units'
  // sales taken back). A cancelled order restores stock and takes back sales after its refund, so this settles last.
  const stockDeadline = Date.now() + options.settleTimeoutMs;
  for (;;) {
    report.stockDrift = await stockDrift(io, plans, skus, statusOf);
    if (report.stockDrift.length === 0 || Date.now() > stockDeadline) break;
    await sleep(1000);
  }

  for await (const w of target.temporal.workflow.list({ query: `TaskQueue = '${target.taskQueue}' AND (ExecutionStatus = 'Failed' OR ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut')` })) {
    report.workflowsFailedOrTerminated.push(`${w.workflowId} ${w.status.name}`);
  }
  report.answersByStatus = Object.fromEntries([...statuses.entries()].sort());
  report.durationSeconds = Math.round((Date.now() - started) / 1000);
  return report;
}

/** The one-screen summary `npm run chaos` prints. */
export function formatReport(report: ChaosReport, options: ChaosOptions): string {
  const list = (items: string[]) => (items.length === 0 ? '0' : `${items.length}\n      ${items.slice(0, 20).join('\n      ')}`);
  const stats = (xs: number[]) => (xs.length === 0 ? 'n/a' : `max ${Math.max(...xs)} s, median ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]} s (${xs.length})`);
  return [
    `chaos run: ${report.orders} orders (${Object.entries(report.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}), concurrency ${options.concurrency}, seed ${options.seed}, ${report.durationSeconds} s`,
    `  faults: ${report.workerKills} worker SIGKILLs (every ${options.killEverySeconds} s), database outage: ${report.databaseOutage}, ${report.providerFaultsScripted} provider faults, ${report.notificationFaultsScripted} notification faults`,
    `  orders lost:                  ${list(report.ordersLost)}`,
    `  money moved twice:            ${list(report.moneyMovedTwice)}`,
    `  money not as expected:        ${list(report.moneyMismatches)}`,
    `  stock and sales drift:        ${list(report.stockDrift)}`,
    `  workflows failed/terminated:  ${list(report.workflowsFailedOrTerminated)}`,
    `  5xx answers:                  ${report.answers5xx}   (all answers: ${JSON.stringify(report.answersByStatus)}; ${report.refusals} refunds correctly refused: a 409, or an after-sale refund that no longer fit, closed by support)`,
    ...report.calls5xx.map((call) => `      ${call}`),
    `  steps accepted, finished later: ${report.stepsPending}   (202 STEP_PENDING, followed to their outcome)`,
    `  recovery after worker kill:   ${stats(report.recoverySeconds.workerKills)}`,
    `  recovery after DB outage:     ${stats(report.recoverySeconds.database)}`,
  ].join('\n');
}

/**
 * The workflow a 503 names ("… on complaint-85: …"), as it stands now: its pending workflow task
 * (state, attempt), pending activities and its last events, so a run says why no worker accepted
 * the step (a backlog after kills, a failing task, a stuck activity).
 */
async function workflowAtThatMoment(target: ChaosTarget, body: string): Promise<string> {
  const workflowId = /\bon ([a-z-]+-[A-Za-z0-9-]+):/.exec(body)?.[1];
  if (!workflowId) return 'no workflow named';
  try {
    const handle = target.temporal.workflow.getHandle(workflowId);
    const { raw } = await handle.describe();
    const task = raw.pendingWorkflowTask;
    const pendingTask = task ? `workflow task ${task.state} attempt ${task.attempt} scheduled ${task.scheduledTime?.seconds} started ${task.startedTime?.seconds ?? '-'}` : 'no pending workflow task';
    const activities = (raw.pendingActivities ?? []).map((a) => `${a.activityType?.name} ${a.state} attempt ${a.attempt}${a.lastFailure?.message ? ` (${a.lastFailure.message.slice(0, 60)})` : ''}`);
    const history = await handle.fetchHistory();
    const events = (history.events ?? []).slice(-8).map((e) => `${e.eventId}:${Object.keys(e).find((key) => key.endsWith('EventAttributes') && (e as Record<string, unknown>)[key])?.replace('EventAttributes', '') ?? '?'}`);
    return `${workflowId}: ${raw.workflowExecutionInfo?.historyLength} events; ${pendingTask}; pending activities [${activities.join(', ')}]; last events ${events.join(' ')}`;
  } catch (err) {
    return `${workflowId}: not described (${(err as Error).message})`;
  }
}
