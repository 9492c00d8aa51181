import { buffer } from 'node:stream/consumers';
import { HttpStoreDriver } from '../../src/stores/drivers/http.driver.js';
import { startHttpDataServer } from '../support/http-data-server.js';
import type { HttpDataServer } from '../support/http-data-server.js';
import { storeDriverContract } from './store-driver.contract.js';

const settings = { insecure: false, proxies: {}, maxRedirects: 5, timeoutMs: 10_000 };

for (const ignoreRange of [false, true]) {
  storeDriverContract(ignoreRange ? 'http (server ignores Range)' : 'http', { readOnly: true }, async () => {
    const server = await startHttpDataServer({ ignoreRange });
    const driver = new HttpStoreDriver(settings);
    return {
      driver,
      leftovers: () => Promise.resolve([]),
      seed: (name, data) => Promise.resolve(server.put(name, data)),
      missingLocation: () => `${server.base}/no-such-image`,
      close: async () => {
        await driver.close();
        await server.close();
      },
    };
  });
}

describe('http store driver', () => {
  let server: HttpDataServer;
  const driver = new HttpStoreDriver(settings);
  beforeAll(async () => {
    server = await startHttpDataServer();
  });
  afterAll(async () => {
    await driver.close();
    await server.close();
  });

  it('sends a Range request rather than reading the whole object', async () => {
    const location = server.put('ranged', Buffer.from('0123456789'));
    const { stream } = await driver.get(location, { offset: 2, length: 3 });
    expect((await buffer(stream)).toString()).toBe('234');
    expect(server.log).toContain('GET /ranged bytes=2-4');
  });

  it('follows redirects', async () => {
    server.put('target', Buffer.from('moved'));
    const { stream } = await driver.get(`${server.base}/redirect/target`);
    expect((await buffer(stream)).toString()).toBe('moved');
  });

  it('reports an unreachable server as unavailable', async () => {
    const gone = await startHttpDataServer();
    const location = gone.put('x', Buffer.from('x'));
    await gone.close();
    await expect(driver.get(location)).rejects.toMatchObject({ name: 'UnavailableError' });
  });
});
