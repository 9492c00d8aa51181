import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * `Expect: 100-continue` answered as Glance's server answers it: `100 Continue` goes out when the
 * handler first reads the body. A request refused before that (409 for an active image, 404, 403,
 * 413 for a declared size over the cap) gets its final answer at once, with `Connection: close`,
 * and the client never sends the body. Node's default sends 100 on arrival, so a refused upload
 * was sent in full first.
 */
export function continueOnFirstRead(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    let continued = false;
    const read = req._read.bind(req);
    req._read = (size: number) => {
      // Node also reads (to discard) a body left unread after the answer: too late for a 100.
      if (!continued && !res.headersSent) res.writeContinue();
      continued = true;
      read(size);
    };
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = (...args: unknown[]) => {
      // The client may still send the body it was told to hold back, or not: only a new
      // connection tells the next request from it.
      if (!continued) res.setHeader('Connection', 'close');
      return writeHead(...args);
    };
    server.emit('request', req, res);
  });
}
