import { readFileSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { Agent, ProxyAgent, interceptors, request } from 'undici';
import type { Dispatcher } from 'undici';
import { ForbiddenError, NotFoundError, UnavailableError } from '../../common/errors/domain-errors.js';
import type { ByteRange, Capability, StoreDriver, StoreReadResult } from '../store-driver.js';

export interface HttpStoreSettings {
  /** glance_store's https_insecure: skip TLS verification (its default is true). */
  insecure: boolean;
  /** PEM bundle trusted instead of the system's (https_ca_certificates_file). */
  caFile?: string;
  /** scheme → proxy URL (http_proxy_information). */
  proxies: Record<string, string>;
  /** Redirects followed, as glance_store (5). */
  maxRedirects: number;
  /** Time to wait for response headers. */
  timeoutMs: number;
}

/**
 * Read-only store for images whose data lives at an http(s) URL (glance_store's http store):
 * ranged reads use a Range request, and when a server ignores Range the slice is cut locally.
 */
export class HttpStoreDriver implements StoreDriver {
  readonly type = 'http';
  readonly schemes = ['http', 'https'] as const;
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['read', 'random_access']);
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly agents: Array<Agent | ProxyAgent> = [];

  constructor(private readonly settings: HttpStoreSettings) {
    const connect = {
      rejectUnauthorized: !settings.insecure,
      ...(settings.caFile ? { ca: readFileSync(settings.caFile) } : {}),
    };
    for (const scheme of this.schemes) {
      const proxy = settings.proxies[scheme];
      const agent = proxy
        ? new ProxyAgent({ uri: proxy, requestTls: connect, proxyTls: connect })
        : new Agent({ connect, headersTimeout: settings.timeoutMs });
      this.agents.push(agent);
      this.dispatchers.set(
        scheme,
        agent.compose(interceptors.redirect({ maxRedirections: settings.maxRedirects })),
      );
    }
  }

  add(): Promise<never> {
    return Promise.reject(new ForbiddenError('The http store is read-only'));
  }

  delete(): Promise<never> {
    return Promise.reject(new ForbiddenError('The http store is read-only'));
  }

  async get(location: string, range?: ByteRange): Promise<StoreReadResult> {
    const ranged = range !== undefined && (range.offset > 0 || range.length !== undefined);
    const headers: Record<string, string> = {};
    if (ranged) {
      if (range.length === 0)
        return { stream: Readable.from([]), length: 0, totalSize: await this.getSize(location) };
      const last = range.length !== undefined ? String(range.offset + range.length - 1) : '';
      headers.range = `bytes=${range.offset}-${last}`;
    }
    const res = await this.send(location, 'GET', headers);
    if (res.statusCode === 206) {
      const total = Number(String(res.headers['content-range'] ?? '').split('/')[1]);
      return {
        stream: res.body,
        length: numberHeader(res.headers['content-length']),
        totalSize: Number.isFinite(total) ? total : undefined,
      };
    }
    const total = numberHeader(res.headers['content-length']);
    if (!ranged) return { stream: res.body, length: total, totalSize: total };
    // The server ignored Range: skip and cut here rather than fail the download.
    const end = range.length !== undefined ? range.offset + range.length : Infinity;
    const length = total !== undefined ? Math.max(0, Math.min(end, total) - range.offset) : undefined;
    const body = res.body;
    // Once the slice is complete the rest is not wanted: dropping it frees the connection.
    let complete = false;
    const cut = slice(range.offset, end, () => {
      complete = true;
      body.unpipe(cut);
      body.destroy();
    });
    body.on('error', (err) => {
      if (!complete) cut.destroy(err);
    });
    return { stream: body.pipe(cut), length, totalSize: total };
  }

  async getSize(location: string): Promise<number> {
    const res = await this.send(location, 'HEAD', {});
    res.body.resume();
    const size = numberHeader(res.headers['content-length']);
    if (size === undefined)
      throw new UnavailableError(`The server at ${safeUrl(location)} did not say the size`);
    return size;
  }

  detailProperties(): Record<string, unknown> {
    return {};
  }

  async close(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.close()));
  }

  private async send(location: string, method: 'GET' | 'HEAD', headers: Record<string, string>) {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new NotFoundError(`Location ${location} is not an http location`);
    }
    const dispatcher = this.dispatchers.get(url.protocol.slice(0, -1));
    if (!dispatcher) throw new NotFoundError(`Location ${safeUrl(location)} is not an http location`);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method, headers, dispatcher });
    } catch (err) {
      throw new UnavailableError(
        `The server at ${safeUrl(location)} is unreachable: ${(err as Error).message}`,
      );
    }
    if (res.statusCode === 404 || res.statusCode === 410) {
      res.body.resume();
      throw new NotFoundError(`No data at ${safeUrl(location)}`);
    }
    if (res.statusCode >= 300) {
      res.body.resume();
      throw new UnavailableError(`The server at ${safeUrl(location)} answered ${res.statusCode}`);
    }
    return res;
  }
}

function numberHeader(value: string | string[] | undefined): number | undefined {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return value !== undefined && Number.isFinite(n) ? n : undefined;
}

/** Credentials in a URL never reach an error message. */
function safeUrl(location: string): string {
  try {
    const url = new URL(location);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return '<invalid url>';
  }
}

/** Passes bytes [start, end) of the stream through, then calls `complete`. */
function slice(start: number, end: number, complete: () => void): Transform {
  let position = 0;
  let finished = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (finished) return done();
      const from = Math.max(start - position, 0);
      const to = Math.min(end - position, chunk.length);
      position += chunk.length;
      if (to > from) this.push(chunk.subarray(from, to));
      if (position >= end) {
        finished = true;
        this.push(null);
        complete();
      }
      done();
    },
  });
}
