/**
 * What both gateways share on the wire: the request log the control API reads out, the scripted
 * faults they take, the connections a scripted timeout holds open, and small wire helpers.
 */
import { randomInt } from 'node:crypto';
import type * as http from 'node:http';
import type { FaultOutcome, FaultRule, OutageRule, RequestLogEntry, SimOperation, SimProvider } from './types';

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export const OUT_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;

export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function digits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(0, 10));
  return s;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export class Wire {
  faults: FaultRule[] = [];
  outages: OutageRule[] = [];
  requests: RequestLogEntry[] = [];
  readonly hanging = new Set<http.ServerResponse>();

  /** hangMs: how long a scripted timeout holds the connection; nextSeq: the simulator's one sequence. */
  constructor(private readonly hangMs: number, private readonly nextSeq: () => number) {}

  reset(): void {
    this.faults = [];
    this.outages = [];
    this.requests = [];
  }

  shutdown(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  logRequest(entry: Omit<RequestLogEntry, 'seq' | 'at'>): RequestLogEntry {
    const e: RequestLogEntry = { seq: this.nextSeq(), at: new Date().toISOString(), ...entry };
    this.requests.push(e);
    return e;
  }

  /** The next scripted outcome for this call, if any, with the delay a 'slow' one is held for. */
  takeFault(provider: SimProvider, operation: SimOperation, key: string | undefined): { fault?: FaultOutcome; delayMs: number } {
    const now = Date.now();
    this.outages = this.outages.filter((o) => o.untilMs === undefined || o.untilMs > now);
    if (this.outages.some((o) => (o.provider === undefined || o.provider === provider) && o.operations.includes(operation))) return { fault: '500', delayMs: 0 };
    const rule = this.faults.find(
      (r) => r.outcomes.length > 0 && r.operation === operation && (r.provider === undefined || r.provider === provider) && (r.key === undefined || r.key === key),
    );
    if (!rule) return { delayMs: 0 };
    const fault = rule.outcomes.shift();
    if (rule.outcomes.length === 0) this.faults = this.faults.filter((r) => r !== rule);
    return { fault, delayMs: rule.delayMs ?? 1000 };
  }

  /**
   * Runs `answer()` (apply the call, send its answer) after delayMs: a slow provider. Like a real one it
   * applies the call even when the client stopped waiting meanwhile (the answer then goes nowhere).
   * The connection counts as held until then, so shutdown drops it.
   */
  later(res: http.ServerResponse, delayMs: number, answer: () => void): void {
    this.hanging.add(res);
    const timer = setTimeout(() => {
      this.hanging.delete(res);
      answer();
    }, delayMs);
    timer.unref();
  }

  /** Holds the request open past the client's timeout, then drops the connection. */
  hang(res: http.ServerResponse): void {
    this.hanging.add(res);
    const timer = setTimeout(() => {
      this.hanging.delete(res);
      res.destroy();
    }, this.hangMs);
    timer.unref();
    res.on('close', () => {
      clearTimeout(timer);
      this.hanging.delete(res);
    });
  }
}
