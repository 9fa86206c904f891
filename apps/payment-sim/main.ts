import { readRefundSpacing } from '../../domain/refund-provider-rules';
import { startPaymentSim } from './server';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    console.error(`${name}: must be a non-negative integer, got ${JSON.stringify(raw)}`);
    process.exit(1);
  }
  return Number(raw.trim());
}

async function main(): Promise<void> {
  let refundSpacing;
  try {
    // The same settings the worker paces its refunds by, so both sides agree on the spacing.
    refundSpacing = readRefundSpacing((name) => process.env[name]);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const sim = await startPaymentSim({
    refundSpacing,
    port: intFromEnv('PAYMENT_SIM_PORT', 4010),
    host: process.env.PAYMENT_SIM_HOST?.trim() || '127.0.0.1',
    keysDir: process.env.PAYMENT_KEYS_DIR?.trim() || '.data/keys',
    refundProcessingMs: intFromEnv('PAYMENT_SIM_REFUND_PROCESSING_MS', 5000),
  });
  console.log(`payment-sim listening on ${sim.url} (WeChat Pay /v3/..., Alipay /gateway.do, control /__sim/...)`);
  const stop = (signal: string): void => {
    console.log(`payment-sim: ${signal}, shutting down`);
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: Error) => {
  console.error(`payment-sim failed to start: ${err.message}`);
  process.exit(1);
});
