import { ImportFilteringOptions } from '../config/glance-options.js';
import { passesImportFilter } from './import-uri-filter.js';

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
    ['http://[2001:db8::1]/x', true],
    ['not a url', false],
    ['http://no-such-host.invalid/x', false],
  ])('%s → %s with the default options', async (uri, expected) => {
    expect(await passesImportFilter(uri, defaults())).toBe(expected);
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
});
