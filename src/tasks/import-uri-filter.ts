import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
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
  return true;
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
  if (/^[\d.]+$/.test(host)) return undefined;
  try {
    // The trailing dot forces a DNS query, so resolver quirks cannot read hex or octal forms as addresses.
    await lookup(host.endsWith('.') ? host : `${host}.`);
    return host;
  } catch {
    return undefined;
  }
}
