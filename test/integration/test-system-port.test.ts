import { createServer, Server } from 'node:net';
import { freePort } from '../support/free-port';
import { startTestSystem } from '../support/system';

/**
 * The test system picks the API's port, connects everything else, then binds it. A CI run once failed
 * in between (`listen EADDRINUSE`): an outgoing connection of some process had drawn the same port
 * from the ephemeral range. The system then starts the API again on a port picked again, and every
 * part (API, workers' notify URLs) reads the final one.
 */
describe('test system whose picked API port is taken before the API binds it', () => {
  let taken: Server;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve)); // every address, as a conflicting socket is
  });
  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
  });

  it('starts the API on a port picked again, and its config names that port', async () => {
    const takenPort = (taken.address() as { port: number }).port;
    const picked: number[] = [];
    const system = await startTestSystem({}, { pickApiPort: async () => { const port = picked.length === 0 ? takenPort : await freePort(); picked.push(port); return port; } });
    try {
      expect(picked).toHaveLength(2);
      expect(system.apiUrl).toBe(`http://127.0.0.1:${picked[1]}`);
      expect(system.config.api.port).toBe(picked[1]);
      expect(system.config.api.publicBaseUrl).toBe(system.apiUrl);
      const live = await system.http('GET', '/health/live');
      expect(live.status).toBe(200);
    } finally {
      await system.stop();
    }
  }, 120_000);
});
