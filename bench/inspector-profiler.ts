import { writeFileSync } from 'node:fs';

/**
 * A CPU profiler for another Node process, over its inspector (started with --inspect=host:port):
 * start() and stop() bracket exactly the phase to be profiled, so one run yields a profile per request
 * kind, which --cpu-prof (one profile for the whole life, written only on a clean exit) cannot.
 * Sampling costs the profiled process some CPU: measure CPU per request in a run without it.
 */
export class InspectorProfiler {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (result: any) => void; reject: (err: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    });
  }

  /** Connects to the inspector listening on `port` (the process's first and only target). */
  static async connect(port: number, samplingIntervalUs = 500): Promise<InspectorProfiler> {
    const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot open the inspector at ${target.webSocketDebuggerUrl}`)), { once: true });
    });
    const profiler = new InspectorProfiler(socket);
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    return profiler;
  }

  async start(): Promise<void> {
    await this.send('Profiler.start');
  }

  /** Stops the profile begun by start() and writes it as a .cpuprofile (Chrome DevTools reads it too). */
  async stopTo(file: string): Promise<void> {
    const { profile } = await this.send('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
  }

  close(): void {
    this.socket.close();
  }

  private send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }
}
