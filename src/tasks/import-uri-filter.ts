import { lookup as lookupCallback } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import type { ImportFilteringOptions } from '../config/glance-options.js';

/**
 * Glance's `[import_filtering_opts]` check for URIs the service will fetch (the legacy `import`
 * task, web-download). When both an allow list and a deny list are set, only the allow list
 * counts. Ports are checked only when the URI names one. Host names must resolve, and numeric
 * shorthands of addresses (`2130706433`, `127.1`, `0x7f000001`) never pass, so a filter on
 * addresses cannot be bypassed by spelling an address differently.
 */
export async function passesImportFilter(uri: string, opts: ImportFilteringOptions): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  const scheme = url.protocol.replace(/:$/, '');
  const allowedSchemes = opts.allowed_schemes;
  const deniedSchemes = allowedSchemes.length ? [] : opts.disallowed_schemes;
  if (
    !scheme ||
    (allowedSchemes.length && !allowedSchemes.includes(scheme)) ||
    deniedSchemes.includes(scheme)
  ) {
    return false;
  }

  const host = await normalizeHost(rawHostname(uri) ?? url.hostname);
  if (!host) return false;
  const allowedHosts = opts.allowed_hosts;
  const deniedHosts = allowedHosts.length ? [] : opts.disallowed_hosts;
  if ((allowedHosts.length && !allowedHosts.includes(host)) || deniedHosts.includes(host)) return false;

  const port = explicitPort(uri);
  if (port !== undefined) {
    const allowedPorts = opts.allowed_ports;
    const deniedPorts = allowedPorts.length ? [] : opts.disallowed_ports;
    if ((allowedPorts.length && !allowedPorts.includes(port)) || deniedPorts.includes(port)) return false;
  }
  return (await fetchableAddress(host, opts)) !== undefined;
}

/** Never fetched from unless the host is in allowed_hosts: the machine itself and its link. */
const LOCAL = new BlockList();
LOCAL.addSubnet('0.0.0.0', 8, 'ipv4');
LOCAL.addSubnet('127.0.0.0', 8, 'ipv4');
LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LOCAL.addAddress('::', 'ipv6');
LOCAL.addAddress('::1', 'ipv6');
LOCAL.addSubnet('fe80::', 10, 'ipv6');
/** Private networks: refused too unless allow_private_networks (Glance 25 lets them through). */
const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged as the IPv4 address it carries. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1], family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/** Whether the filter lets a fetch connect to `address` for a URI whose host is `host`. */
export function addressAllowed(host: string, address: string, opts: ImportFilteringOptions): boolean {
  if (opts.allowed_hosts.length && opts.allowed_hosts.includes(host)) return true;
  const { address: plain, family } = unmapped(address);
  if (LOCAL.check(plain, family)) return false;
  if (!opts.allow_private_networks && PRIVATE.check(plain, family)) return false;
  // A deny list of addresses also stops host names that resolve to them.
  const denied = opts.allowed_hosts.length ? [] : opts.disallowed_hosts;
  return !denied.some((d) => d !== host && isIP(d) !== 0 && unmapped(d).address === plain);
}

/**
 * The first address of `host` a fetch may connect to, or undefined. As Glance does since its
 * server-side request forgery fix, a host resolving only to loopback or link-local addresses (the
 * cloud metadata service at 169.254.169.254) is refused unless allowed_hosts names it; beyond
 * Glance, private networks are refused as well unless allow_private_networks is on.
 */
export async function fetchableAddress(
  host: string,
  opts: ImportFilteringOptions,
): Promise<string | undefined> {
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      return undefined;
    }
  }
  return addresses.find((a) => addressAllowed(host, a, opts));
}

/**
 * The host as written. WHATWG URL parsing would turn `127.1` or `0x7f000001` into `127.0.0.1`,
 * which is exactly the rewriting the filter must see through, so the authority is read by hand.
 */
function rawHostname(uri: string): string | undefined {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(uri);
  if (!m) return undefined;
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return host.toLowerCase();
}

function explicitPort(uri: string): number | undefined {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)/.exec(uri);
  return m ? Number(m[1]) : undefined;
}

async function normalizeHost(host: string): Promise<string | undefined> {
  if (!host) return undefined;
  if (isIP(host) === 4) return host.split('.').every((o) => o === String(Number(o))) ? host : undefined;
  if (isIP(host) === 6) return host;
  // Anything else that the resolver would read as an IPv4 address (`127.1`, `2130706433`,
  // `0x7f000001`, `0177.0.0.1`) is refused: the lists name addresses only in their plain form.
  if (host.split('.').every((part) => /^(?:0x[0-9a-f]*|\d+)$/i.test(part))) return undefined;
  try {
    await lookup(host);
    return host;
  } catch {
    return undefined;
  }
}

/**
 * A resolver for the sockets of a fetch that hands out only the addresses the filter allows, so
 * the connection goes where the check looked even if the name resolves elsewhere by then.
 */
export function filteredLookup(opts: ImportFilteringOptions): LookupFunction {
  return (hostname, options, callback) => {
    lookupCallback(hostname, { ...options, all: true }, (err, found: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const allowed = found.filter((a) => addressAllowed(hostname, a.address, opts));
      if (!allowed.length) {
        const refused = Object.assign(new Error(`${hostname} has no address the import filter allows`), {
          code: 'ENOTFOUND',
        });
        return callback(refused, '', 0);
      }
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      else callback(null, allowed[0].address, allowed[0].family);
    });
  };
}
