import { runMoneyProperty } from '../money/commands';
import { TestSystem, startTestSystem } from '../support/system';

/**
 * Issue 20, part 4: a model-based property test of the money rules against the real system (API,
 * worker, Temporal dev server, MariaDB, Redis, payment simulator). fast-check draws sequences of
 * checkouts, payments, seller cancellations, shipping, after-sales, complaints with arbitrated
 * refunds, goodwill refunds, replays and races (test/money/commands.ts); after each sequence the
 * invariants (test/money/invariants.ts) compare MySQL and the simulator's ledger. On a failure
 * fast-check prints the seed and the smallest sequence it found within the time limit.
 * A longer run: npm run soak:money -- --sequences 200 [--seed S].
 */
describe('money property: random operation sequences never refund more than was paid', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('holds for 40 random sequences', async () => {
    const seed = process.env.MONEY_SEED ? Number(process.env.MONEY_SEED) : undefined;
    const stats = await runMoneyProperty(system, {
      numRuns: Number(process.env.MONEY_SEQUENCES ?? 40),
      seed,
      maxCommands: 16,
      settleTimeoutMs: 25_000,
      // Runs and shrinking together stay within the jest timeout below.
      timeLimitMs: 180_000,
      logOperations: process.env.MONEY_VERBOSE === '2',
      log: process.env.MONEY_VERBOSE ? (line) => console.log(line) : undefined,
    });
    console.log(`money property: ${stats.sequences} sequences, ${stats.operations} operations, ${stats.httpCalls} HTTP calls in ${stats.seconds.toFixed(0)} s (seed ${stats.seed})`);
  }, 240_000);
});
