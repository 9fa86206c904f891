import type { ChildProcess } from 'node:child_process';

/**
 * Runs the worker process the way systemd or Kubernetes would: SIGKILLed on request and started
 * again, and started again when it exits on its own. A worker that starts while the database is away
 * stops with one line naming DATABASE_URL (config/run-main.ts); its supervisor brings it back.
 */
export class WorkerSupervisor {
  private current?: ChildProcess;
  private stopped = false;
  /** Times the worker exited without being killed (and was started again). */
  exitedOnItsOwn = 0;

  constructor(
    private readonly spawnWorker: () => ChildProcess,
    private readonly restartDelayMs = 1000,
  ) {}

  start(): void {
    if (this.stopped) return;
    const child = this.spawnWorker();
    this.current = child;
    child.once('exit', () => {
      if (this.current !== child || this.stopped) return; // killed by us: kill() has started the next one
      this.exitedOnItsOwn += 1;
      setTimeout(() => this.current === child && this.start(), this.restartDelayMs);
    });
  }

  /** SIGKILL, no shutdown of any kind, and a new worker process right away. */
  kill(): void {
    const old = this.current;
    this.current = undefined;
    old?.kill('SIGKILL');
    this.start();
  }

  stop(): void {
    this.stopped = true;
    this.current?.kill('SIGKILL');
    this.current = undefined;
  }
}
