import { ImportFilteringOptions } from '../config/glance-options.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch } from 'undici';
import { addressAllowed, fetchableAddress, filteredLookup, passesImportFilter } from './import-uri-filter.js';

const defaults = () => new ImportFilteringOptions();

describe('import URI filter', () => {
  it.each([
    ['http://93.184.216.34/x.img', true],
    ['https://93.184.216.34/x.img', true],
    ['http://93.184.216.34:80/x.img', true],
    ['https://93.184.216.34:443/x.img', true],
    ['http://93.184.216.34:8080/x.img', false],
    ['ftp://93.184.216.34/x.img', false],
    ['http://2130706433/x', false],
    ['http://127.1/x', false],
    ['http://0x7f000001/x', false],
    ['http://127.000.0.1/x', false],
    ['http://0177.0.0.1/x', false],
    ['http://0x7f.1/x', false],
    ['http://127.0.0.1./x', false],
    ['http://[2001:db8::1]/x', true],
    ['not a url', false],
    ['http://no-such-host.invalid/x', false],
    // The machine itself, its link (the metadata service) and private networks.
    ['http://127.0.0.1/x', false],
    ['http://localhost/x', false],
    ['http://169.254.169.254/latest/meta-data', false],
    ['http://10.0.0.1/x', false],
    ['http://192.168.1.10/x', false],
    ['http://[::1]/x', false],
    ['http://[::ffff:127.0.0.1]/x', false],
    ['http://[fe80::1]/x', false],
    ['http://0.0.0.0/x', false],
  ])('%s → %s with the default options', async (uri, expected) => {
    expect(await passesImportFilter(uri, defaults())).toBe(expected);
  });

  it('lets private networks through with allow_private_networks, and any named host through allowed_hosts', async () => {
    const opts = defaults();
    opts.allow_private_networks = true;
    expect(await passesImportFilter('http://10.0.0.1/x', opts)).toBe(true);
    expect(await passesImportFilter('http://127.0.0.1/x', opts)).toBe(false);
    expect(await passesImportFilter('http://169.254.169.254/x', opts)).toBe(false);
    opts.allowed_hosts = ['127.0.0.1'];
    expect(await passesImportFilter('http://127.0.0.1/x', opts)).toBe(true);
    expect(addressAllowed('127.0.0.1', '127.0.0.1', opts)).toBe(true);
    expect(addressAllowed('example.org', '127.0.0.1', opts)).toBe(false);
  });

  it('names the address a fetch may connect to: the first one the filter allows', async () => {
    const opts = defaults();
    expect(await fetchableAddress('93.184.216.34', opts)).toBe('93.184.216.34');
    expect(await fetchableAddress('2001:db8::1', opts)).toBe('2001:db8::1');
    expect(await fetchableAddress('10.0.0.1', opts)).toBeUndefined();
    expect(await fetchableAddress('localhost', opts)).toBeUndefined();
    expect(await fetchableAddress('no-such-host.invalid', opts)).toBeUndefined();
    opts.allow_private_networks = true;
    expect(await fetchableAddress('10.0.0.1', opts)).toBe('10.0.0.1');
    opts.allowed_hosts = ['localhost'];
    // A name from the hosts file, as an operator's mirror may be.
    expect(['127.0.0.1', '::1']).toContain(await fetchableAddress('localhost', opts));
    expect(await passesImportFilter('http://localhost/x', opts)).toBe(true);
  });

  it('refuses a host name whose addresses are all refused, at check and at connect', async () => {
    const opts = defaults();
    expect(addressAllowed('evil.example', '127.0.0.1', opts)).toBe(false);
    expect(addressAllowed('evil.example', '93.184.216.34', opts)).toBe(true);
    const lookup = filteredLookup(opts);
    const answer = await new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      lookup('localhost', {}, (err, address) => resolve({ err, address })),
    );
    expect(answer.err?.code).toBe('ENOTFOUND');
  });

  it('honours host allow and deny lists, the allow list winning when both are set', async () => {
    const opts = defaults();
    opts.disallowed_hosts = ['93.184.216.34'];
    expect(await passesImportFilter('http://93.184.216.34/x', opts)).toBe(false);
    opts.allowed_hosts = ['93.184.216.34'];
    expect(await passesImportFilter('http://93.184.216.34/x', opts)).toBe(true);
    expect(await passesImportFilter('http://93.184.216.35/x', opts)).toBe(false);
  });

  it('honours port and scheme lists', async () => {
    const opts = defaults();
    opts.allowed_ports = [];
    opts.disallowed_ports = [8080];
    expect(await passesImportFilter('http://93.184.216.34:8081/x', opts)).toBe(true);
    expect(await passesImportFilter('http://93.184.216.34:8080/x', opts)).toBe(false);
    opts.allowed_schemes = [];
    opts.disallowed_schemes = ['http'];
    expect(await passesImportFilter('http://93.184.216.34/x', opts)).toBe(false);
    expect(await passesImportFilter('https://93.184.216.34/x', opts)).toBe(true);
  });

  it('makes a fetch through an agent with the filtered lookup connect only where the filter allows', async () => {
    const server = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://localhost:${(server.address() as AddressInfo).port}/`;
    const get = async (opts: ImportFilteringOptions) => {
      const agent = new Agent({ connect: { lookup: filteredLookup(opts) } });
      try {
        const res = await fetch(url, { dispatcher: agent });
        return await res.text();
      } catch (err) {
        return String((err as { cause?: Error }).cause?.message ?? err);
      } finally {
        await agent.close();
      }
    };
    try {
      expect(await get(defaults())).toBe('localhost has no address the import filter allows');
      const allowed = defaults();
      allowed.allowed_hosts = ['localhost'];
      expect(await get(allowed)).toBe('hello');
    } finally {
      server.close();
    }
  });
});
