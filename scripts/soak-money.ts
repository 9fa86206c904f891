/**
 * `npm run soak:money [-- --sequences 200 --seed 42 --lanes 6 --max-commands 16 --settle-ms 30000 --minutes 60 --verbose --ignore-line-cap]`:
 * the money property test (test/money) for as many random sequences as asked, on a system started the
 * way the jest run starts it (global setup: Temporal dev server, a throwaway migrated MariaDB
 * database, the workflow bundle; then startTestSystem: API, worker, payment simulator). Prints each
 * sequence (--verbose: and its operations), then the totals and the seed; on a violation, fast-check's report: the seed, the path and
 * the smallest failing sequence it shrank to (within --minutes). --ignore-line-cap leaves out the
 * per-line refund check, to look for other violations while the known line over-refund is unfixed.
 * --lanes K runs K independent property runs at once on the same system (seeds S, S+1, …, each with
 * its own orders, buyers and sellers): a sequence mostly waits (refunds settle, spacing, polls), so
 * lanes use the box instead of waiting; every lane checks the same invariants after each sequence.
 * Exits 1 on a violation.
 */
import 'reflect-metadata';
import '../test/support/quiet-runtime';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { startTestSystem, type TestSystem } from '../test/support/system';
import { runMoneyProperty, type MoneyRunStats } from '../test/money/commands';

function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]} (use --sequences N --seed S --max-commands N --settle-ms MS --minutes M --verbose --ignore-line-cap)`);
    if (m[2] !== undefined) out[m[1]] = m[2];
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) out[m[1]] = argv[(i += 1)];
    else out[m[1]] = 'true';
  }
  return out;
}

async function main(): Promise<number> {
  const a = args(process.argv.slice(2));
  const sequences = Number(a.sequences ?? 100);
  const seed = a.seed !== undefined ? Number(a.seed) : undefined;
  const began = Date.now();
  await globalSetup();
  let system: TestSystem | undefined;
  let stats: MoneyRunStats | undefined;
  let failed = false;
  try {
    system = await startTestSystem();
    const lanes = Math.max(1, Math.min(Number(a.lanes ?? 1), sequences));
    const baseSeed = seed ?? Date.now() % 1_000_000_000;
    const runs = await Promise.allSettled(
      Array.from({ length: lanes }, (_, lane) =>
        runMoneyProperty(system!, {
          // The first lanes take one more when the sequences do not divide evenly.
          numRuns: Math.floor(sequences / lanes) + (lane < sequences % lanes ? 1 : 0),
          seed: baseSeed + lane,
          maxCommands: Number(a['max-commands'] ?? 16),
          settleTimeoutMs: Number(a['settle-ms'] ?? 30_000),
          timeLimitMs: a.minutes ? Number(a.minutes) * 60_000 : undefined,
          logOperations: a.verbose === 'true',
          ignoreLineCap: a['ignore-line-cap'] === 'true',
          log: (line) => console.log(lanes > 1 ? `[lane ${lane + 1}, seed ${baseSeed + lane}] ${line}` : line),
        }),
      ),
    );
    const laneStats = runs.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as { stats?: MoneyRunStats }).stats)).filter((x): x is MoneyRunStats => x !== undefined);
    stats = {
      sequences: laneStats.reduce((n, x) => n + x.sequences, 0),
      operations: laneStats.reduce((n, x) => n + x.operations, 0),
      httpCalls: laneStats.reduce((n, x) => n + x.httpCalls, 0),
      seconds: Math.max(0, ...laneStats.map((x) => x.seconds)),
      seed: baseSeed,
    };
    runs.forEach((r, lane) => {
      if (r.status === 'rejected') {
        failed = true;
        console.error(`\nVIOLATION in lane ${lane + 1} (seed ${baseSeed + lane})\n${(r.reason as Error).message}`);
      }
    });
    if (lanes > 1) console.log(`lanes: ${lanes}, seeds ${baseSeed}…${baseSeed + lanes - 1}`);
  } catch (err) {
    failed = true;
    console.error(`\nVIOLATION\n${(err as Error).message}`);
  } finally {
    // A refund the provider refuses keeps its workflow retrying and the worker's shutdown waiting on it.
    const stopped = system?.stop().catch((e) => console.error(`stopping the system: ${(e as Error).message}`));
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 30_000))]);
    await globalTeardown().catch((e) => console.error(`teardown: ${(e as Error).message}`));
  }
  const seconds = ((Date.now() - began) / 1000).toFixed(0);
  const s = stats;
  console.log(`\nsoak:money ${failed ? 'FAILED' : 'passed'}: ${s ? `${s.sequences} sequences${failed ? ' (with the shrinking runs)' : ''}, ${s.operations} operations, ${s.httpCalls} HTTP calls, ${s.seconds.toFixed(0)} s of sequences, ` : ''}${seconds} s in all, seed ${s?.seed ?? seed ?? '(see above)'}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
