import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwtService } from '@nestjs/jwt';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Principal, Role } from '../api/auth/principal';
import { TokenRefused, bearerTokenOf, verifyBearerToken } from '../api/auth/verify-token';
import { JsonPayload, PayloadDecryptionError, payloadFromJson, payloadToJson } from '../shared/payload-codec';

/** Who may read (and write) payloads in clear: support staff answer buyers' after-sale questions; admins run the system. */
export const CODEC_ROLES: readonly Role[] = ['support', 'admin'];
/** A history page of the UI or a `temporal workflow show` sends many payloads at once; Temporal's own blob limit is 2 MB each. */
export const MAX_CODEC_BODY_BYTES = 8 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  jwtSecret: string;
  /** Browser origins of the Temporal Web UI allowed to call cross-origin (CORS). */
  corsOrigins: readonly string[];
  log: Logger;
}

/**
 * The remote codec the Temporal Web UI and CLI call (`--codec-endpoint`, `--ui-codec-endpoint`):
 * POST {endpoint}/decode and {endpoint}/encode with {"payloads":[{metadata:{k:base64}, data:base64}]}
 * answer the same shape. Only support and admin tokens are served. The token comes in the
 * Authorization header (the CLI's --codec-auth, or a UI that forwards its users' access token), or,
 * for a UI that signs nobody in (the dev server's) and so can send no header, as a path segment:
 * endpoint {base}/token/<jwt>. Neither the token nor any payload is ever logged.
 */
export class CodecServer {
  private server?: Server;
  private readonly jwt: JwtService;

  constructor(private readonly options: CodecServerOptions) {
    this.jwt = new JwtService({ secret: options.jwtSecret });
  }

  async listen(port: number, host: string): Promise<number> {
    this.server = createServer((req, res) => {
      const began = Date.now();
      this.handle(req, res)
        .catch((err: unknown) => {
          this.options.log.error({ err }, 'codec server failed');
          if (!res.headersSent) send(res, 500, { message: 'internal error' });
        })
        .finally(() => this.options.log.info({ method: req.method, route: routeOf(req.url).name, statusCode: res.statusCode, responseTimeMs: Date.now() - began, principal: (res as { principal?: Principal }).principal }, 'codec request'));
    });
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(port, host, resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = routeOf(req.url);
    if (req.method === 'GET' && route.name === 'health') return send(res, 200, { status: 'ok' });
    if (route.name !== 'encode' && route.name !== 'decode') return send(res, 404, { message: 'not found: POST /decode or /encode (or /token/<jwt>/decode, /token/<jwt>/encode)' });

    const origin = req.headers.origin;
    const originAllowed = origin !== undefined && this.options.corsOrigins.includes(origin);
    if (originAllowed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
    }
    res.setHeader('vary', 'Origin');
    if (req.method === 'OPTIONS') {
      // Preflights carry no credentials: they are answered for allowed origins, without a token.
      if (!originAllowed) return send(res, 403, { message: `origin ${origin ?? '(none)'} is not allowed (CODEC_CORS_ORIGINS)` });
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'authorization, content-type, x-namespace');
      res.setHeader('access-control-max-age', '600');
      if (req.headers['access-control-request-private-network'] === 'true') res.setHeader('access-control-allow-private-network', 'true');
      res.statusCode = 204;
      res.end();
      return;
    }
    if (req.method !== 'POST') return send(res, 405, { message: 'use POST' });
    // A browser page from another origin is refused outright; the CLI sends no Origin.
    if (origin !== undefined && !originAllowed) return send(res, 403, { message: `origin ${origin} is not allowed (CODEC_CORS_ORIGINS)` });

    let principal: Principal;
    try {
      principal = await verifyBearerToken(this.jwt, route.token ?? bearerTokenOf(req.headers.authorization));
    } catch (err) {
      if (err instanceof TokenRefused) return send(res, 401, { message: err.message });
      throw err;
    }
    (res as { principal?: Principal }).principal = principal;
    if (!CODEC_ROLES.includes(principal.role)) return send(res, 403, { message: `role ${principal.role} may not read payloads; only ${CODEC_ROLES.join(' and ')}` });

    const body = await readBody(req);
    if (body === 'too large') return send(res, 413, { message: `request body is larger than ${MAX_CODEC_BODY_BYTES} bytes` });
    const payloads = parsePayloads(body);
    if (typeof payloads === 'string') return send(res, 400, { message: payloads });
    try {
      const converted = route.name === 'decode' ? await this.options.codec.decode(payloads.map(payloadFromJson)) : await this.options.codec.encode(payloads.map(payloadFromJson));
      return send(res, 200, { payloads: converted.map(payloadToJson) });
    } catch (err) {
      if (err instanceof PayloadDecryptionError) return send(res, 422, { message: err.message });
      throw err;
    }
  }
}

type Route = { name: 'encode' | 'decode' | 'health' | 'unknown'; token?: string };

function routeOf(url: string | undefined): Route {
  const path = (url ?? '/').split('?')[0];
  if (path === '/health') return { name: 'health' };
  const match = /^(?:\/token\/([A-Za-z0-9_.-]+))?\/(encode|decode)$/.exec(path);
  if (!match) return { name: 'unknown' };
  return { name: match[2] as 'encode' | 'decode', ...(match[1] ? { token: match[1] } : {}) };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The request's payloads, or why they are not acceptable (→ 400). */
function parsePayloads(body: string): JsonPayload[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'request body is not valid JSON; expected {"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}';
  }
  const payloads = (parsed as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) return 'request body must be {"payloads":[...]}';
  for (const [index, payload] of payloads.entries()) {
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return `payloads[${index}] must be an object`;
    const { metadata, data } = payload as { metadata?: unknown; data?: unknown };
    if (data !== undefined && (typeof data !== 'string' || !BASE64.test(data))) return `payloads[${index}].data must be base64`;
    if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))) return `payloads[${index}].metadata must be an object of base64 strings`;
    for (const [key, value] of Object.entries((metadata ?? {}) as Record<string, unknown>)) {
      if (typeof value !== 'string' || !BASE64.test(value)) return `payloads[${index}].metadata.${key} must be base64`;
    }
  }
  return payloads as JsonPayload[];
}

async function readBody(req: IncomingMessage): Promise<string | 'too large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Past the limit the rest is read and dropped: leaving the loop early would destroy the socket before the 413 is sent.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_CODEC_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_CODEC_BODY_BYTES ? 'too large' : Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}
