import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { WEBHOOK_RESPONSE_CAP_BYTES } from '../domain/webhooks';
import { Resolve, TargetRules, WebhookTargetRefused, checkUrlShape, guardedLookup, resolveTarget, systemResolve } from '../apps/shared/webhook-target';

/** What one POST to a receiver gave: a status code, or none (and why), how long it took, and the start of its answer. */
export interface WebhookResponse {
  statusCode?: number;
  latencyMs: number;
  error?: string;
  /** At most the first WEBHOOK_RESPONSE_CAP_BYTES of the answer, as text. */
  excerpt?: string;
  /** The target was refused by the SSRF guard: no connection was made. */
  refused?: boolean;
}

export interface PostOptions extends TargetRules {
  timeoutMs: number;
  resolve?: Resolve;
}

/**
 * POSTs one delivery. The URL is checked again (its shape, then each address at connect time through
 * the guarded lookup, or the IP literal here), redirects are never followed (a 3xx is just the answer),
 * the whole exchange has one deadline, and at most 4 KiB of the answer is read before the socket is
 * dropped. Never throws: every failure is an answer without a status code.
 */
export async function postWebhook(target: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<WebhookResponse> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let url: URL;
  try {
    url = checkUrlShape(target, options);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) await resolveTarget(host, options);
  } catch (err) {
    return { latencyMs: elapsed(), error: `refused: ${(err as Error).message}`, refused: true };
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<WebhookResponse>((resolve) => {
    let settled = false;
    const finish = (answer: Omit<WebhookResponse, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      resolve({ ...answer, latencyMs: elapsed() });
    };
    const req = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'durable-orders-webhooks/1' },
      lookup: guardedLookup(options, options.resolve ?? systemResolve) as never,
      // One connection per delivery: a pooled socket would skip the lookup (and its check) next time.
      agent: false,
    });
    const deadline = setTimeout(() => finish({ error: `no answer within ${options.timeoutMs} ms` }), options.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof WebhookTargetRefused || err.code === 'EWEBHOOKTARGET') finish({ error: `refused: ${err.message}`, refused: true });
      else finish({ error: `${err.code ?? 'error'}: ${err.message}`.slice(0, 500) });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => finish({ statusCode: res.statusCode, excerpt: Buffer.concat(chunks).toString('utf8').slice(0, 1000) });
      res.on('data', (chunk: Buffer) => {
        const room = WEBHOOK_RESPONSE_CAP_BYTES - size;
        if (room > 0) chunks.push(chunk.subarray(0, room));
        size += chunk.length;
        // Enough read: the status is what counts, the rest of a large answer is not wanted.
        if (size >= WEBHOOK_RESPONSE_CAP_BYTES) done();
      });
      res.on('end', done);
      res.on('error', done);
    });
    req.end(body);
  });
}
