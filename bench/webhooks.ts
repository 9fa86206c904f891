/**
 * Benchmark (not a test): webhook delivery latency and drain rate (issue 22 item 3; docs/webhooks.md).
 *
 *   npm run bench:webhooks                                   # 20 events/s for 30 s over 5 endpoints; a 10,000-event backlog
 *   npm run bench:webhooks -- --rate 50 --seconds 20 --backlog 2000
 *
 * Starts its own Temporal dev server and MariaDB database (the test harness's global setup) and a system
 * (API, worker, simulator) with 5 sellers, one endpoint each, each on a real HTTP receiver in this
 * process that verifies every delivery with `standardwebhooks`. Events are written by the outbox's one
 * writer (`runStep` + `emitEvent`, as every business step does; `coupon.created` events, so no order flow
 * limits the rate), which also wakes the endpoint workflows through the commit notifier exactly as a
 * business step does. It prints:
 *   - the engine's no-op ceiling (workflows/s on this server, measured first in the same run);
 *   - latency from an event's commit to its arrival at the receiver, p50 / p99 / max, at --rate over --endpoints;
 *   - the drain rate of a --backlog-event backlog on one endpoint (disabled while it builds, then enabled;
 *     the events spread over 200 orders, so deliveries keep per-order sequence with 8 orders at a time).
 */
import 'reflect-metadata';
import '../test/support/quiet-runtime';
import globalSetup from '../test/support/global-setup';
import { numberArg, runMain } from './cli';
import globalTeardown from '../test/support/global-teardown';
import { emitEvent, runStep } from '../db/business-events';
import { businessEvent, eventActor } from '../domain/events';
import { newSellerId } from '../test/support/fixtures';
import { startTestSystem, TestSystem, eventually } from '../test/support/system';
import { WebhookReceiver } from '../test/support/webhook-receiver';
import { installWebhookNotifier } from '../apps/shared/webhook-notifier';
import { drive, percentile } from './measure';
import { measureNoopCeiling } from './noop-ceiling';


const RATE = numberArg('rate', 20);
const SECONDS = numberArg('seconds', 30);
const ENDPOINTS = numberArg('endpoints', 5);
const BACKLOG = numberArg('backlog', 10_000);

let serial = Date.now();

/** One coupon.created event in the seller's stream, committed by a step; answers its id and when the commit returned. */
async function emit(system: TestSystem, sellerId: number, orderSn: string | null): Promise<{ eventId: string; committedAt: number }> {
  const couponId = (serial += 1);
  const event = businessEvent(
    { type: 'coupon', id: couponId, sellerId, orderSn },
    { type: 'coupon.created', key: 'CREATED', payload: { couponId, title: 'bench', thresholdFen: 10_000, valueFen: 500, validFrom: new Date().toISOString(), validUntil: new Date(Date.now() + 86_400_000).toISOString(), totalCount: 1, actor: eventActor('SYSTEM') } },
  );
  await runStep(system.dataSource, async (manager) => emitEvent(manager, event));
  return { eventId: event.eventId, committedAt: Date.now() };
}

async function main(): Promise<void> {
  await globalSetup();
  const system = await startTestSystem({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }, { ownDatabase: true });
  // The bench commits on the test system's own pool: it wakes endpoints like the API's and the worker's pools do.
  installWebhookNotifier(system.dataSource, system.temporal);
  const receivers: WebhookReceiver[] = [];
  try {
    const ceiling = await measureNoopCeiling(system.temporal, 300, 20);
    console.log(`engine no-op ceiling: ${ceiling.toFixed(1)} workflows/s`);

    const sellers: { sellerId: number; endpointId: number; receiver: WebhookReceiver }[] = [];
    for (let i = 0; i < ENDPOINTS; i++) {
      const receiver = await new WebhookReceiver().listen();
      receivers.push(receiver);
      const sellerId = newSellerId();
      const created = await system.http('POST', '/seller/webhook-endpoints', { token: system.token('seller', sellerId), body: { url: receiver.url, description: `bench ${i}` } });
      if (created.status !== 201) throw new Error(`endpoint: ${created.status} ${JSON.stringify(created.body)}`);
      receiver.useSecrets(created.body.secret);
      sellers.push({ sellerId, endpointId: created.body.id, receiver });
    }

    // Latency at RATE events/s spread over the endpoints.
    // A whole number of events per endpoint.
    const total = Math.ceil((RATE * SECONDS) / ENDPOINTS) * ENDPOINTS;
    const committed = new Map<string, number>();
    await drive(Array.from({ length: total }, (_, i) => i), 32, RATE, async (i) => {
      const { eventId, committedAt } = await emit(system, sellers[i % sellers.length].sellerId, null);
      committed.set(eventId, committedAt);
    });
    await eventually(async () => (sellers.every((s) => s.receiver.accepted().filter((r) => committed.has(r.webhookId)).length === total / sellers.length) ? true : undefined), 120_000, 'every event delivered');
    const latencies = sellers.flatMap((s) => s.receiver.accepted().filter((r) => committed.has(r.webhookId)).map((r) => r.at - committed.get(r.webhookId)!));
    const unverified = sellers.reduce((n, s) => n + s.receiver.received.filter((r) => !r.verified).length, 0);
    console.log(`latency commit → delivered at ${RATE} events/s over ${sellers.length} endpoints (${latencies.length} events): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${Math.max(...latencies)} ms; unverified ${unverified}`);

    // Drain: a backlog built while the endpoint is disabled, then enabled.
    const drained = sellers[0];
    const token = system.token('seller', drained.sellerId);
    await system.http('PATCH', `/seller/webhook-endpoints/${drained.endpointId}`, { token, body: { enabled: false } });
    const before = drained.receiver.accepted().length;
    const buildStarted = Date.now();
    await drive(Array.from({ length: BACKLOG }, (_, i) => i), 16, 0, async (i) => {
      await emit(system, drained.sellerId, `BENCH${drained.sellerId}-${i % 200}`);
    });
    console.log(`backlog of ${BACKLOG} events written in ${((Date.now() - buildStarted) / 1000).toFixed(1)} s`);
    const enabledAt = Date.now();
    await system.http('PATCH', `/seller/webhook-endpoints/${drained.endpointId}`, { token, body: { enabled: true } });
    await eventually(async () => (drained.receiver.accepted().length >= before + BACKLOG ? true : undefined), 30 * 60_000, 'the backlog drained');
    const seconds = (Date.now() - enabledAt) / 1000;
    console.log(`drain: ${BACKLOG} events in ${seconds.toFixed(1)} s = ${(BACKLOG / seconds).toFixed(0)} events/s on one endpoint (8 orders at a time, batches of 100)`);
  } finally {
    await system.stop();
    for (const receiver of receivers) await receiver.close();
    await globalTeardown();
  }
}

runMain(main);
