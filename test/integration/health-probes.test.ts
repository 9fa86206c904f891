import { freePort } from '../support/free-port';
import { TcpProxy } from '../support/tcp-proxy';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * Liveness and readiness are separate probes: with Redis unreachable the API is not ready (503 naming
 * Redis) but still alive (200), so an orchestrator stops routing to it instead of restarting it; when
 * Redis is back it is ready again. The in-process worker's probe server is not started by the test
 * system, so the worker's probes are checked on a worker process.
 */
describe('health: liveness apart from readiness', () => {
  let system: TestSystem;
  const redis = new TcpProxy('127.0.0.1', 6379);
  beforeAll(async () => {
    const port = await redis.start();
    system = await startTestSystem({ REDIS_URL: `redis://127.0.0.1:${port}/0` });
  });
  afterAll(async () => {
    await system?.stop();
    await redis.stop();
  });

  const get = async (path: string) => {
    const res = await fetch(`${system.apiUrl}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('the API: ready only with MySQL, Temporal and Redis; alive regardless', async () => {
    expect(await get('/health/live')).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok' }) });
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details).toEqual({ mysql: { status: 'up' }, temporal: { status: 'up' }, redis: { status: 'up' } });

    redis.cut();
    const notReady = await eventually(async () => {
      const answer = await get('/health/ready');
      return answer.status === 503 ? answer : undefined;
    }, 20_000, 'API not ready without Redis');
    expect(notReady.body.error.redis.status).toBe('down');
    expect(notReady.body.info).toMatchObject({ mysql: { status: 'up' }, temporal: { status: 'up' } });
    // The old path answers as readiness; liveness does not depend on Redis.
    expect((await get('/health')).status).toBe(503);
    expect((await get('/health/live')).status).toBe(200);

    redis.restore();
    await eventually(async () => ((await get('/health/ready')).status === 200 ? true : undefined), 30_000, 'API ready again');
  });

  it('the worker: alive and ready while polling with its database; not ready without it, still alive', async () => {
    await system.stopWorker();
    const metricsPort = await freePort();
    const child = system.spawnWorkerProcess({ WORKER_METRICS_PORT: String(metricsPort), WORKER_SDK_METRICS_ADDRESS: '127.0.0.1:0' });
    const url = `http://127.0.0.1:${metricsPort}`;
    try {
      const probe = async (path: string) => {
        try {
          const res = await fetch(`${url}${path}`);
          return { status: res.status, body: (await res.json()) as Record<string, any> };
        } catch {
          return undefined;
        }
      };
      const ready = await eventually(async () => {
        const answer = await probe('/health/ready');
        return answer?.status === 200 ? answer : undefined;
      }, 90_000, 'worker ready');
      expect(ready.body).toEqual({ status: 'ok', polling: true, mysql: 'up' });
      expect(await probe('/health/live')).toEqual({ status: 200, body: { status: 'ok', runState: 'RUNNING' } });

      system.workerDatabase.cut();
      const notReady = await eventually(async () => {
        const answer = await probe('/health/ready');
        return answer?.status === 503 ? answer : undefined;
      }, 20_000, 'worker not ready without its database');
      expect(notReady.body).toMatchObject({ status: 'not ready', polling: true, mysql: expect.stringMatching(/^down: /) });
      expect((await probe('/health/live'))?.status).toBe(200);
      system.workerDatabase.restore();
      await eventually(async () => ((await probe('/health/ready'))?.status === 200 ? true : undefined), 30_000, 'worker ready again');
    } finally {
      system.workerDatabase.restore();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
