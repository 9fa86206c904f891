/**
 * Benchmark (not a test): how long reconciling one provider's day takes, and the worker's memory.
 *
 *   npm run bench:reconcile                  # 100,000 payments + 10,000 refunds, both providers
 *   npm run bench:reconcile -- 1000000       # other sizes (refunds: a tenth of the payments)
 *   BENCH_PARSER_ROWS=100000 BENCH_PARSER_ONLY=1 npm run bench:reconcile   # the parser figure alone
 *
 * Starts its own Temporal dev server and throwaway MariaDB database (the test harness's global
 * setup), the simulator and API in-process and the worker as its own OS process (so its memory is
 * its own), books the day on both sides (simulator ledger + our payment/refund rows), then per provider:
 *   reconcile   — the reconciliation workflow end to end: bill download + verification + load,
 *                 comparison pages, our-side pages, finish; peak RSS of the worker process meanwhile;
 *   ceilings    — on the same server in the same run: the client alone streaming and parsing the bill
 *                 (no database), and a workflow running the same number of no-op activities.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { WECHAT_HEADER, WECHAT_SUMMARY } from '../apps/payment-sim/bills';
import { fenToYuanString } from '../domain';
import { parseWechatTradeBill } from '../payments/wechatpay/trade-bill';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporalDataConverter } from '../apps/shared/temporal';
import { createPaymentProviders, ProviderName } from '../payments';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { seedBillDay } from '../test/support/bill-day';
import { startTestSystem } from '../test/support/system';
import type { ReconciliationResult } from '../workflows/reconciliation.contract';

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function procStatus(pid: number): { rssKb: number; hwmKb: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/**
 * The parser alone on a bill far larger than the day above: a WeChat Pay file of `rows` lines made on
 * the fly (never held whole), streamed through parseWechatTradeBill; this process's peak RSS shows
 * whether the rows pile up in memory.
 */
async function parserAtScale(rows: number): Promise<string> {
  function* file(): Generator<Buffer> {
    yield Buffer.from(`${WECHAT_HEADER}\r\n`);
    let fen = 0;
    let chunk: string[] = [];
    for (let i = 1; i <= rows; i++) {
      const amount = 100 + (i % 9_900);
      fen += amount;
      const yuan = fenToYuanString(amount);
      chunk.push(['2026-10-01 12:00:00', 'wx0', '1900000001', '0', '', `4200${String(i).padStart(24, '0')}`, `P${i}`, 'o', 'NATIVE', 'SUCCESS', 'OTHERS', 'CNY', yuan, '0.00', '0', '0', '0.00', '0.00', '', '', 'goods', '', '0.00', '0.60%', yuan, '0.00', ''].map((c) => `\`${c}`).join(','));
      if (chunk.length === 1000) {
        yield Buffer.from(`${chunk.join('\r\n')}\r\n`);
        chunk = [];
      }
    }
    if (chunk.length) yield Buffer.from(`${chunk.join('\r\n')}\r\n`);
    yield Buffer.from(`${WECHAT_SUMMARY}\r\n\`${rows},\`${fenToYuanString(fen)},\`0.00,\`0.00,\`0.00,\`${fenToYuanString(fen)},\`0.00\r\n`);
  }
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const began = Date.now();
  let n = 0;
  for await (const _ of parseWechatTradeBill(Readable.from(file(), { objectMode: false }), undefined)) n += 1;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return `parser alone: ${n.toLocaleString('en')} WeChat Pay bill rows streamed and checked in ${s(Date.now() - began)}; process RSS ${mb(before / 1024)} before, peak ${mb(peak / 1024)} (+${mb((peak - before) / 1024)})`;
}

async function main(): Promise<void> {
  const payments = Number(process.argv[2] ?? 100_000);
  const refunds = Number(process.argv[3] ?? Math.floor(payments / 10));
  const parserLine = await parserAtScale(Number(process.env.BENCH_PARSER_ROWS ?? 1_000_000));
  console.log(parserLine);
  if (process.env.BENCH_PARSER_ONLY === '1') process.exit(0);
  await globalSetup();
  // The simulator builds a day's file when the bill is requested (a real provider has it ready): allow it time.
  const system = await startTestSystem({ PAYMENT_HTTP_TIMEOUT_MS: '60000' }, { ownDatabase: true });
  const lines: string[] = [parserLine];
  let noopWorker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
  try {
    // The worker as a process of its own, so /proc shows its memory alone.
    await system.stopWorker();
    const child = system.spawnWorkerProcess();
    const queue = system.config.temporal.taskQueue;
    for (const deadline = Date.now() + 120_000; ; ) {
      const described = await system.temporal.workflowService.describeTaskQueue({ namespace: system.config.temporal.namespace, taskQueue: { name: queue }, taskQueueType: 1 });
      if ((described.pollers ?? []).length > 0) break;
      if (Date.now() > deadline) throw new Error('the worker process did not start polling');
      await new Promise((r) => setTimeout(r, 500));
    }

    const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
    const worker = await Worker.create({ connection, taskQueue: `${queue}-noop`, workflowsPath: require.resolve('./noop.workflow'), activities: { noop: async () => undefined }, dataConverter: temporalDataConverter(system.config.temporal.payloadEncryption) });
    noopWorker = { worker, connection, running: worker.run() };
    const providers = createPaymentProviders(system.config.payments);

    for (const [i, provider] of (['wechatpay', 'alipay'] as ProviderName[]).entries()) {
      const billDate = `2026-10-${String(10 + i).padStart(2, '0')}`;
      const seedStart = Date.now();
      await seedBillDay(system.dataSource, system.sim, { provider, billDate, prefix: provider === 'wechatpay' ? 'BW' : 'BA', payments, refunds });
      console.log(`${provider}: booked ${payments} payments + ${refunds} refunds on both sides in ${s(Date.now() - seedStart)}`);

      // Ceiling 1: the client alone, downloading, verifying and parsing the bill.
      const parseStart = Date.now();
      const bill = await providers[provider].fetchTradeBill(billDate);
      let rows = 0;
      for await (const _ of bill.rows) rows += 1;
      const parseMs = Date.now() - parseStart;

      const before = procStatus(child.pid!);
      let peakRssKb = before.rssKb;
      const sampler = setInterval(() => (peakRssKb = Math.max(peakRssKb, procStatus(child.pid!).rssKb)), 50);
      const began = Date.now();
      const handle = await system.temporal.workflow.start('reconciliationWorkflow', { workflowId: `bench-reconcile-${provider}-${began}`, taskQueue: queue, args: [{ provider, billDate }] });
      const result = (await handle.result()) as ReconciliationResult;
      const reconcileMs = Date.now() - began;
      clearInterval(sampler);
      const after = procStatus(child.pid!);
      peakRssKb = Math.max(peakRssKb, after.rssKb);

      // Ceiling 2: the same number of activity round trips, doing nothing.
      const events = (await handle.fetchHistory()).events ?? [];
      const activities = events.filter((e) => e.activityTaskScheduledEventAttributes).length;
      // Where the time went: seconds per activity type, from the history's scheduled → completed times.
      const seconds = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) + (e.eventTime?.nanos ?? 0) / 1e9;
      const scheduled = new Map<string, { type: string; at: number }>();
      const spent = new Map<string, number>();
      for (const e of events) {
        if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at: seconds(e) });
        const done = e.activityTaskCompletedEventAttributes;
        if (done) {
          const from = scheduled.get(String(done.scheduledEventId));
          if (from) spent.set(from.type, (spent.get(from.type) ?? 0) + seconds(e) - from.at);
        }
      }
      const breakdown = [...spent].map(([type, sec]) => `${type} ${sec.toFixed(1)} s`).join(', ');
      const noopStart = Date.now();
      await (await system.temporal.workflow.start('noopActivitiesWorkflow', { workflowId: `bench-noop-${provider}-${noopStart}`, taskQueue: `${queue}-noop`, args: [activities] })).result();
      const noopMs = Date.now() - noopStart;

      if (result.differenceCount !== 0 || result.matched !== payments + refunds) throw new Error(`unexpected result ${JSON.stringify(result)}`);
      const ceilingMs = parseMs + noopMs;
      const line =
        `${provider}: ${rows.toLocaleString('en')} bill rows reconciled in ${s(reconcileMs)} (${Math.round(rows / (reconcileMs / 1000)).toLocaleString('en')} rows/s), 0 differences; ` +
        `ceiling ${s(ceilingMs)} (client parse alone ${s(parseMs)} + ${activities} no-op activities ${s(noopMs)}) = ${(ceilingMs / reconcileMs * 100).toFixed(0)}% of ceiling speed; ` +
        `worker RSS ${mb(before.rssKb)} before, peak ${mb(peakRssKb)} during (+${mb(peakRssKb - before.rssKb)})`;
      console.log(line);
      console.log(`  activities: ${breakdown}`);
      lines.push(line, `  activities: ${breakdown}`);
    }
  } finally {
    if (noopWorker) {
      noopWorker.worker.shutdown();
      await noopWorker.running;
      await noopWorker.connection.close();
    }
    await system.stop();
    await globalTeardown();
  }
  console.log('\nresults:');
  for (const line of lines) console.log('  ' + line);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
