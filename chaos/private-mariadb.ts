import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

const MARIADBD = '/usr/sbin/mariadbd';

/**
 * A MariaDB server of the chaos run's own (own port, own data directory), so it can be restarted
 * without touching the machine's shared one. Root without a password, loopback only.
 */
export class PrivateMariaDb {
  private process?: ChildProcess;

  constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  static available(): boolean {
    return existsSync(MARIADBD);
  }

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/orders_chaos`;
  }

  async start(): Promise<void> {
    if (this.process && this.process.exitCode === null) return;
    if (!existsSync(join(this.dir, 'data', 'mysql'))) {
      execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${join(this.dir, 'data')}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore' });
    }
    this.process = spawn(
      MARIADBD,
      ['--no-defaults', `--datadir=${join(this.dir, 'data')}`, '--user=root', `--port=${this.port}`, '--bind-address=127.0.0.1', `--socket=${join(this.dir, 'sock')}`, `--pid-file=${join(this.dir, 'pid')}`, '--skip-name-resolve', '--innodb-buffer-pool-size=128M', '--max-connections=500'],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 60_000;
    while (!(await this.answers())) {
      if (this.process.exitCode !== null) throw new Error(`mariadbd exited with ${this.process.exitCode}`);
      if (Date.now() > deadline) throw new Error('private mariadbd did not answer within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** A clean shutdown (SIGTERM, as `systemctl restart` does) and a start on the same data. */
  async restart(downMs = 2000): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  async stop(): Promise<void> {
    const running = this.process;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  }

  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createConnection(this.port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }
}
