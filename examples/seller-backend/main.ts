import { startSellerBackend } from './seller-backend';

/**
 * Runs the example: SELLER_API_URL, SELLER_API_KEY (scopes orders:read, orders:write,
 * webhooks:manage), BLOCKED_SKU_IDS (comma-separated), optional WEBHOOK_HOST and WEBHOOK_PORT.
 *   npx ts-node --transpile-only examples/seller-backend/main.ts
 */
async function main(): Promise<void> {
  const need = (name: string) => process.env[name] ?? (console.error(`${name} is required`), process.exit(2));
  const backend = await startSellerBackend({
    apiUrl: need('SELLER_API_URL'),
    apiKey: need('SELLER_API_KEY'),
    blockedSkuIds: need('BLOCKED_SKU_IDS').split(',').map((s) => s.trim()).filter(Boolean),
    host: process.env.WEBHOOK_HOST,
    port: Number(process.env.WEBHOOK_PORT ?? 0),
  });
  console.log(`seller-backend: webhooks at ${backend.url} (endpoint ${backend.endpointId})`);
  process.once('SIGINT', () => void backend.close().then(() => process.exit(0)));
}

void main();
