import type { DeliveryLogEntry, ForgeMode, NotificationControl, SimProvider } from './types';

export interface OutgoingNotification {
  provider: SimProvider;
  notificationId: string;
  kind: 'payment' | 'refund';
  outTradeNo: string;
  outRefundNo?: string;
  event: string;
  url: string;
  /** Rendered per attempt: WeChat signs each delivery with a fresh timestamp. */
  render(forge?: ForgeMode): { headers: Record<string, string>; body: string };
}

/** What a notification is about: its trade, and the refund when it tells of one. */
export function concerning(trade: { outTradeNo: string }, outRefundNo?: string): Pick<OutgoingNotification, 'outTradeNo' | 'outRefundNo'> {
  return { outTradeNo: trade.outTradeNo, ...(outRefundNo ? { outRefundNo } : {}) };
}

/** Real schedules (payments.md §1.7, §2.4) divided by 100 so a test sees retries within seconds. */
export const DEFAULT_RETRY_SCHEDULE_MS: Record<SimProvider, number[]> = {
  wechatpay: [150, 150, 300, 1800, 6000, 12000, 18000, 18000, 18000, 36000, 108000, 108000, 108000, 216000],
  alipay: [2400, 6000, 6000, 36000, 72000, 216000, 540000],
};

const ACK_TIMEOUT_MS = 5000;

interface ActiveControl extends NotificationControl {
  remaining: number;
}

/**
 * Delivers notifications to the merchant's notify_url, retrying until acked, with test controls
 * to drop, duplicate, delay, reorder and forge them. Everything sent and every answer is logged.
 */
export class Notifier {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<AbortController>();
  private controls: ActiveControl[] = [];
  private held: OutgoingNotification[] = [];
  private seq = 0;
  readonly log: DeliveryLogEntry[] = [];
  private closed = false;

  constructor(private readonly schedule: Record<SimProvider, number[]>) {}

  addControl(control: NotificationControl): void {
    if (control.mode === 'forge' && !control.forge) throw new Error('forge control needs `forge`');
    this.controls.push({ ...control, remaining: control.count ?? 1 });
  }

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.inflight) c.abort();
    this.inflight.clear();
    this.controls = [];
    this.held = [];
    this.log.length = 0;
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  /** Releases notifications held back by a 'reorder' control. */
  flush(): number {
    const held = this.held;
    this.held = [];
    for (const n of held) this.startCopies(n, 1);
    return held.length;
  }

  emit(n: OutgoingNotification): void {
    if (this.closed) return;
    const control = this.takeControl(n);
    if (!control) {
      this.startCopies(n, 1);
      this.releaseHeldAfter();
      return;
    }
    switch (control.mode) {
      case 'drop':
        this.record(n, { attempt: 0, copy: 1, dropped: true, acked: false });
        return;
      case 'duplicate':
        this.startCopies(n, Math.max(1, control.times ?? 2));
        this.releaseHeldAfter();
        return;
      case 'delay':
        this.later(control.delayMs ?? 1000, () => {
          this.startCopies(n, 1);
          this.releaseHeldAfter();
        });
        return;
      case 'reorder':
        this.held.push(n);
        return;
      case 'forge': {
        const forge = control.forge as ForgeMode;
        // The forgery goes first; the genuine notification must still be accepted after it.
        void this.attempt(n, 1, 1, forge).then(() => {
          this.startCopies(n, 1);
          this.releaseHeldAfter();
        });
        return;
      }
    }
  }

  private takeControl(n: OutgoingNotification): ActiveControl | undefined {
    const control = this.controls.find(
      (c) => c.remaining > 0 && (c.provider === undefined || c.provider === n.provider) && (c.kind === undefined || c.kind === n.kind),
    );
    if (control) {
      control.remaining -= 1;
      if (control.remaining === 0) this.controls = this.controls.filter((c) => c !== control);
    }
    return control;
  }

  /** Held notifications go out after the next one has been delivered once, so they arrive out of order. */
  private releaseHeldAfter(): void {
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    this.later(50, () => held.forEach((h) => this.startCopies(h, 1)));
  }

  private startCopies(n: OutgoingNotification, copies: number): void {
    for (let copy = 1; copy <= copies; copy++) void this.deliverWithRetries(n, copy);
  }

  private async deliverWithRetries(n: OutgoingNotification, copy: number): Promise<void> {
    const schedule = this.schedule[n.provider];
    for (let attempt = 1; !this.closed; attempt++) {
      const acked = await this.attempt(n, attempt, copy);
      if (acked || attempt > schedule.length) return;
      await new Promise<void>((resolve) => this.later(schedule[attempt - 1], resolve));
    }
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private async attempt(n: OutgoingNotification, attempt: number, copy: number, forge?: ForgeMode): Promise<boolean> {
    if (this.closed) return false;
    const { headers, body } = n.render(forge);
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = setTimeout(() => controller.abort(), ACK_TIMEOUT_MS);
    try {
      const res = await fetch(n.url, { method: 'POST', headers, body, signal: controller.signal, redirect: 'manual' });
      const text = await res.text();
      const acked = n.provider === 'wechatpay' ? res.status === 200 || res.status === 204 : res.status === 200 && text === 'success';
      this.record(n, { attempt, copy, forged: forge, status: res.status, responseBody: text.slice(0, 500), acked });
      return acked;
    } catch (err) {
      this.record(n, { attempt, copy, forged: forge, error: (err as Error).message, acked: false });
      return false;
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
    }
  }

  private record(n: OutgoingNotification, e: Pick<DeliveryLogEntry, 'attempt' | 'copy' | 'acked'> & Partial<DeliveryLogEntry>): void {
    if (this.closed) return;
    this.log.push({
      seq: ++this.seq,
      provider: n.provider,
      notificationId: n.notificationId,
      kind: n.kind,
      outTradeNo: n.outTradeNo,
      ...(n.outRefundNo ? { outRefundNo: n.outRefundNo } : {}),
      event: n.event,
      url: n.url,
      at: new Date().toISOString(),
      ...e,
    });
  }
}
