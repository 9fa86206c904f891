import { runMoneyProperty } from '../money/commands';
import { checkInvariants, waitQuiet } from '../money/invariants';
import { MoneyReal, emptyModel } from '../money/model';
import { CheckoutCommand, GoodwillCommand, PayCommand, ShipCommand } from '../money/order-commands';
import { ApplyAfterSaleCommand } from '../money/service-commands';
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
    // A refund the provider refuses (e.g. one over the payment) keeps its workflow retrying, and the
    // worker's shutdown waits on it: give up after a while, jest's forceExit ends the rest.
    await Promise.race([system?.stop(), new Promise((r) => setTimeout(r, 30_000))]);
  }, 45_000);

  it('the invariants are not vacuous: a settled sequence passes them, and a drifted counter or a refund the provider never paid is caught', async () => {
    const model = emptyModel();
    const real = new MoneyReal(system);
    const steps = [
      new CheckoutCommand([{ goods: [{ priceFen: 3000, quantity: 2 }, { priceFen: 1001, quantity: 3 }], shippingFen: 800, coupon: { thresholdFen: 0, valueFen: 500 } }]),
      new PayCommand(0, 'alipay'),
      new ShipCommand(0, true),
      new ApplyAfterSaleCommand(0, 'RETURN_GOODS', 0, [2, 1], false, 3),
      new GoodwillCommand(0, 10, false),
    ];
    for (const step of steps) await step.run(model, real);
    expect(await waitQuiet(system, [model.orders[0].orderSn], 30_000)).toBeUndefined();
    expect(await checkInvariants(system, model)).toEqual([]);

    const [line] = model.orders[0].lines;
    await system.dataSource.query('UPDATE goods SET available_quantity = available_quantity + 1 WHERE id = ?', [line.skuId]);
    const [refund] = await system.dataSource.query(`SELECT refund_sn FROM refund WHERE order_sn = ? AND status = 'SUCCESS' ORDER BY id LIMIT 1`, [model.orders[0].orderSn]);
    await system.dataSource.query('UPDATE refund SET refund_fen = refund_fen + 1 WHERE refund_sn = ?', [refund.refund_sn]);
    const caught = await checkInvariants(system, model);
    expect(caught).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^sku ${line.skuId}: available .* stock ledger`)),
        expect.stringMatching(new RegExp(`^sku ${line.skuId}: available .* the model expects`)),
        expect.stringMatching(/the simulator paid out .* MySQL has/),
        expect.stringMatching(/refunded_fen .* ≠ Σ successful refunds/),
      ]),
    );
  });

  it('holds for 40 random sequences', async () => {
    const seed = process.env.MONEY_SEED ? Number(process.env.MONEY_SEED) : undefined;
    const stats = await runMoneyProperty(system, {
      numRuns: Number(process.env.MONEY_SEQUENCES ?? 40),
      seed,
      maxCommands: 16,
      settleTimeoutMs: 15_000,
      // Runs and shrinking together stay within the jest timeout below.
      timeLimitMs: 150_000,
      logOperations: process.env.MONEY_VERBOSE === '2',
      log: process.env.MONEY_VERBOSE ? (line) => console.log(line) : undefined,
    });
    console.log(`money property: ${stats.sequences} sequences, ${stats.operations} operations, ${stats.httpCalls} HTTP calls in ${stats.seconds.toFixed(0)} s (seed ${stats.seed})`);
  }, 240_000);
});
