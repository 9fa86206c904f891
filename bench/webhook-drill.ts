/**
 * Drill (not a test): webhook delivery at the scale of issue 22's done-when (docs/webhooks.md).
 *
 *   npm run drill:webhooks -- --scenario volume                       # 500 orders, 3 sellers with an endpoint each
 *   npm run drill:webhooks -- --scenario outage                       # the receiver down 10 minutes while 300 orders flow
 *   npm run drill:webhooks -- --scenario outage --orders 60 --outage-minutes 2   # a quicker run
 *
 * Starts its own Temporal dev server and MariaDB database (the test harness's global setup) and a system
 * (API, worker, simulator); every receiver is a real HTTP server in this process that verifies each
 * delivery with `standardwebhooks`. Orders go checkout → pay (WeChat Pay and Alipay alternately) →
 * seller cancel → refund, each through its workflows.
 *
 * volume: every event of each seller reaches its seller's endpoint (received-unique = produced, no other
 *   seller's event), each verified, in sequence per order.
 * outage: the receiver refuses connections for the first third of the outage, answers 500 for the
 *   second, and hangs 30 s (longer than the 10 s request timeout) for the last, while the orders flow.
 *   Then it recovers, answering 400 to one message (that message only must fail, once, and be listed
 *   FAILED), while the worker process is SIGKILLed --kill-every seconds after each new one is ready,
 *   for --kill-minutes (5) or until the backlog is delivered, and the last one finishes it. Nothing may be lost, every order in sequence.
 *   WEBHOOK_RETRY_MAX_INTERVAL is 30 s here (production default 1 h, which would let the first try after
 *   recovery come up to an hour later); every other webhook setting is the production default.
 *
 * Exits 1 when a check fails; prints the figures either way.
 */
import 'reflect-metadata';
import '../test/support/quiet-runtime';
import type { ChildProcess } from 'node:child_process';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { waitForOrderCancelled } from '../test/support/cancellations';
import { newSellerId, seedGoods } from '../test/support/fixtures';
import { PlacedOrder, payOrder, placeOrder } from '../test/support/orders';
import { cancelPaidOrder } from '../test/support/provider-outage';
import { TestSystem, eventually, startTestSystem } from '../test/support/system';
import { freePort, startOnFreePorts } from '../test/support/free-port';
import { ReceivedWebhook, WebhookReceiver } from '../test/support/webhook-receiver';
import { RegisteredEndpoint, outOfSequence, producedEvents, registerEndpoint, waitForAllDelivered } from '../test/support/webhooks';
import { numberArg, runMain } from './cli';
import { drive, percentile } from './measure';

const SCENARIO = process.argv[process.argv.indexOf('--scenario') + 1] ?? 'volume';
const ORDERS = numberArg('orders', SCENARIO === 'outage' ? 300 : 500);
const SELLERS = numberArg('sellers', 3);
const CONCURRENCY = numberArg('concurrency', 24);
const OUTAGE_MS = numberArg('outage-minutes', 10) * 60_000;
const KILL_EVERY_MS = numberArg('kill-every', 10) * 1000;
const KILL_FOR_MS = numberArg('kill-minutes', 5) * 60_000;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Seller {
  sellerId: number;
  skuId: number;
  receiver: WebhookReceiver;
  endpoint: RegisteredEndpoint;
}

const failures: string[] = [];
function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

async function newSeller(system: TestSystem, stock: number): Promise<Seller> {
  const receiver = await new WebhookReceiver().listen();
  const sellerId = newSellerId();
  const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 2300, stock });
  const endpoint = await registerEndpoint(system, sellerId, receiver, { description: `drill seller ${sellerId}` });
  return { sellerId, skuId, receiver, endpoint };
}

/** One order through checkout → pay → seller cancel → refund; answers when the order is CANCELLED. */
async function orderFlow(system: TestSystem, seller: Seller, index: number): Promise<PlacedOrder> {
  // A buyer per order: one buyer's checkouts are rate-limited (30 a minute), as in production.
  const order = await placeOrder(system, { sku: { skuId: seller.skuId, sellerId: seller.sellerId }, quantity: 1, buyerId: newSellerId() + 500_000 });
  await payOrder(system, order, index % 2 === 0 ? 'wechatpay' : 'alipay');
  await cancelPaidOrder(system, order, `drill-${order.orderSn}`);
  await waitForOrderCancelled(system, order.orderSn, 15 * 60_000);
  return order;
}

/** A worker process, once it polls with MySQL up (its /health/ready). */
async function readyWorker(system: TestSystem): Promise<ChildProcess> {
  const { child } = await startOnFreePorts('worker process', async () => {
    const port = await freePort();
    const child = system.spawnWorkerProcess({ WORKER_METRICS_PORT: String(port) });
    return { child, value: port, ready: async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 };
  }, { timeoutMs: 180_000 });
  return child;
}

/** Commit → delivered, from the event's own timestamp to the receiver's first 2xx of it. */
function latencies(accepted: ReceivedWebhook[]): number[] {
  return accepted.map((r) => r.at - Date.parse(r.body.timestamp));
}

async function volume(system: TestSystem): Promise<void> {
  const sellers: Seller[] = [];
  for (let i = 0; i < SELLERS; i++) sellers.push(await newSeller(system, ORDERS));
  const began = Date.now();
  await drive(Array.from({ length: ORDERS }, (_, i) => i), CONCURRENCY, 0, async (i) => {
    await orderFlow(system, sellers[i % sellers.length], i);
  });
  console.log(`${ORDERS} orders placed, paid, cancelled and refunded in ${s(Date.now() - began)}`);
  for (const seller of sellers) {
    const produced = await producedEvents(system, seller.sellerId, undefined, seller.endpoint.from);
    await waitForAllDelivered(system, seller.sellerId, seller.receiver, seller.endpoint, undefined, 15 * 60_000).catch(() => undefined);
    const accepted = seller.receiver.accepted();
    const got = new Set(accepted.map((r) => r.webhookId));
    const lat = latencies(accepted);
    console.log(`seller ${seller.sellerId}: ${produced.length} events produced, ${accepted.length} received unique in ${seller.receiver.received.length} requests; commit → delivered p50 ${percentile(lat, 50)} ms, p99 ${percentile(lat, 99)} ms`);
    check(produced.length === got.size && produced.every((e) => got.has(e.event_id)), `seller ${seller.sellerId}: received-unique = produced (${got.size} / ${produced.length}), no other seller's event`);
    check(seller.receiver.received.every((r) => r.verified), `seller ${seller.sellerId}: every delivery verified by standardwebhooks`);
    check(outOfSequence(accepted).length === 0, `seller ${seller.sellerId}: in sequence per order`);
  }
}

async function outage(system: TestSystem): Promise<void> {
  const seller = await newSeller(system, ORDERS);
  const { receiver } = seller;
  let worker = await readyWorker(system);
  const third = OUTAGE_MS / 3;
  const outageStarted = Date.now();
  await receiver.close();
  console.log(`receiver down: connections refused for ${s(third)}, then 500s for ${s(third)}, then 30-second hangs for ${s(third)}`);
  const phases = (async () => {
    await new Promise((r) => setTimeout(r, third));
    receiver.rule = () => ({ status: 500 });
    await receiver.listen();
    await new Promise((r) => setTimeout(r, third));
    receiver.rule = () => ({ status: 503, delayMs: 30_000 });
    await new Promise((r) => setTimeout(r, outageStarted + OUTAGE_MS - Date.now()));
  })();
  // The orders flow during the first 60 % of the outage.
  const flows = drive(Array.from({ length: ORDERS }, (_, i) => i), CONCURRENCY, ORDERS / ((OUTAGE_MS * 0.6) / 1000), async (i) => {
    await orderFlow(system, seller, i);
  });
  await phases;
  await flows;
  const requestsDuringOutage = receiver.received.length;
  const produced = await producedEvents(system, seller.sellerId, undefined, seller.endpoint.from);
  // Recovered: one message (the first order.paid) is refused for good with a 400.
  const refusedId = produced.find((e) => e.event_type === 'order.paid')!.event_id;
  const recoveredAt = Date.now();
  receiver.rule = (d) => (d.webhookId === refusedId ? { status: 400 } : { status: 200 });
  console.log(`outage over after ${s(recoveredAt - outageStarted)}: ${ORDERS} orders flowed, ${produced.length} events produced, ${requestsDuringOutage} requests answered with errors or hangs (refused connections not counted)`);

  const wanted = new Set(produced.map((e) => e.event_id).filter((id) => id !== refusedId));
  const delivered = () => receiver.accepted().filter((r) => wanted.has(r.webhookId)).length;
  // The worker is SIGKILLed --kill-every seconds after each new one is ready (polling, MySQL up), for
  // --kill-minutes; then the last one finishes the backlog. Counting from readiness, not from spawn: on a
  // loaded box a worker takes longer than 10 s to start, and killing it before it polls tests nothing.
  let kills = 0;
  const killUntil = recoveredAt + KILL_FOR_MS;
  while (delivered() < wanted.size && Date.now() < killUntil) {
    await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
    if (delivered() >= wanted.size) break;
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    kills += 1;
    worker = await readyWorker(system);
  }
  const duringKills = delivered();
  await eventually(async () => (delivered() >= wanted.size ? true : undefined), 20 * 60_000, 'the backlog delivered').catch(() => undefined);
  const drainedAt = Date.now();
  // The refused message: one 400 after recovery, listed FAILED, not retried a few backoffs later.
  await new Promise((r) => setTimeout(r, 20_000));
  worker.kill('SIGKILL');
  const token = system.token('seller', seller.sellerId);
  const failed = await system.http('GET', `/seller/webhook-endpoints/${seller.endpoint.id}/messages?status=FAILED`, { token });
  const refusedAnswers = receiver.received.filter((r) => r.webhookId === refusedId && r.status === 400).length;
  const accepted = receiver.accepted().filter((r) => wanted.has(r.webhookId));
  console.log(`drained ${wanted.size} events ${s(drainedAt - recoveredAt)} after recovery; the worker SIGKILLed ${kills} times in the first ${s(Math.min(KILL_FOR_MS, drainedAt - recoveredAt))}, ${duringKills} events delivered meanwhile; ${receiver.received.length} requests in all, ${receiver.received.length - receiver.accepted().length} not accepted or repeated`);
  check(accepted.length === wanted.size, `nothing lost: received-unique = produced less the refused one (${accepted.length} / ${wanted.size})`);
  check(receiver.received.every((r) => r.verified), 'every delivery verified by standardwebhooks');
  check(outOfSequence(accepted).length === 0, 'the backlog drained in sequence per order');
  check(refusedAnswers === 1, `the 400 stopped retrying that message only (answered 400 ${refusedAnswers} time(s))`);
  check(failed.status === 200 && failed.body.items.some((m: { eventId: string }) => m.eventId === refusedId), 'the refused message is listed FAILED (re-sendable)');
}

async function main(): Promise<void> {
  if (!['volume', 'outage'].includes(SCENARIO)) throw new Error('--scenario is volume or outage');
  await globalSetup();
  const system = await startTestSystem(
    { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', ...(SCENARIO === 'outage' ? { WEBHOOK_RETRY_MAX_INTERVAL: '30s' } : {}) },
    { ownDatabase: true },
  );
  try {
    // The outage scenario kills worker processes: the system's in-process worker makes way for them.
    if (SCENARIO === 'outage') await system.stopWorker();
    await (SCENARIO === 'outage' ? outage(system) : volume(system));
  } finally {
    await system.stop();
    await globalTeardown();
  }
  if (failures.length > 0) throw new Error(`${failures.length} check(s) failed: ${failures.join('; ')}`);
  console.log('every check passed');
}

runMain(main);
