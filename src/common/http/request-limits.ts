import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The request size limits of Glance's server (eventlet), which clients see: a request line of
 * 8192 bytes or more is 414, a header line of `max_header_line` bytes or more (Glance's option,
 * 16384 by default, raised by sites whose tokens are large) is 400 "Header Line Too Long", and a
 * header section over 64 KiB is 400 "Headers Too Large". Node's own limit is 16 KiB for all the
 * headers together, which refused requests that Glance serves.
 */
const MAX_REQUEST_LINE = 8192;
const MAX_HEADER_SECTION = 65536;

export function applyRequestLimits(server: Server): void {
  // Read by Node for each new connection (http.createServer's maxHeaderSize option).
  (server as Server & { maxHeaderSize?: number }).maxHeaderSize = MAX_HEADER_SECTION;
  // Glance serves an HTTP/1.1 request without Host (from its own address); Node refuses it with 400.
  (server as Server & { requireHostHeader?: boolean }).requireHostHeader = false;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Node's own answers, but for the header overflow, which is Glance's.
    if (socket.writable && socket.bytesWritten === 0) socket.write(clientErrorAnswer(err.code));
    socket.destroy(err);
  });
}

function clientErrorAnswer(code: string | undefined): string {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return emptyAnswer(400, 'Headers Too Large');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';
    default:
      return 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
  }
}

function emptyAnswer(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

/** Refuses, before anything else looks at it, a request whose lines Glance would not read. */
export function requestLineLimits(maxHeaderLine: number) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const requestLine = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
    if (Buffer.byteLength(requestLine) >= MAX_REQUEST_LINE) return refuse(res, 414, 'Request URI Too Long');
    const raw = req.rawHeaders;
    // The blank line that ends the section counts too.
    let section = 2;
    for (let i = 0; i < raw.length; i += 2) {
      // "Name: value\r\n"
      const line = Buffer.byteLength(raw[i]) + Buffer.byteLength(raw[i + 1]) + 4;
      if (line >= maxHeaderLine) return refuse(res, 400, 'Header Line Too Long');
      section += line;
    }
    // Node counts a little less than the bytes sent, so its own limit lets a few hundred more through.
    if (section > MAX_HEADER_SECTION) return refuse(res, 400, 'Headers Too Large');
    next();
  };
}

function refuse(res: ServerResponse, status: number, reason: string): void {
  res.shouldKeepAlive = false;
  res.writeHead(status, reason, { Connection: 'close', 'Content-Length': '0' });
  res.end();
}
