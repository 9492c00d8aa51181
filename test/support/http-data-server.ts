import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpDataServer {
  base: string;
  put(name: string, data: Buffer): string;
  /** Requests seen, as "METHOD /path range". */
  log: string[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP server (port 0) holding named blobs: GET and HEAD, single `Range: bytes=a-b`
 * (or, with ignoreRange, answering 200 with everything as some servers do), 404 for unknown
 * names, and `/redirect/<name>` answering 302 to the blob.
 */
export async function startHttpDataServer(options: { ignoreRange?: boolean } = {}): Promise<HttpDataServer> {
  const blobs = new Map<string, Buffer>();
  const log: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    log.push(`${req.method} ${path} ${req.headers.range ?? ''}`.trim());
    if (path.startsWith('/redirect/')) {
      res.writeHead(302, { location: `/${path.slice('/redirect/'.length)}` }).end();
      return;
    }
    const data = blobs.get(path.slice(1));
    if (!data) {
      res.writeHead(404).end('not found');
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range && !options.ignoreRange) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-range': `bytes ${start}-${end}/${data.length}`,
        'content-length': end - start + 1,
      });
      res.end(req.method === 'HEAD' ? undefined : data.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { 'content-length': data.length, 'content-type': 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    log,
    put(name, data) {
      blobs.set(name, data);
      return `${base}/${encodeURIComponent(name)}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
