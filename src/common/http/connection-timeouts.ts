import type { Server } from 'node:http';

/**
 * Glance's `client_socket_timeout`: a connection that stays idle this long (mid-request, or
 * between keep-alive requests) is closed; 0 waits forever. Node's own defaults differ in ways a
 * client sees: a whole request must arrive within 5 minutes (a large image upload on a slow link
 * got 408 Request Timeout), and a kept-alive connection is dropped after 5 idle seconds, racing
 * clients whose pools hold connections longer.
 */
export function applyConnectionTimeouts(server: Server, idleSeconds: number): void {
  // An upload or download lasts as long as the image and the link make it; only idleness is bounded.
  server.requestTimeout = 0;
  server.timeout = idleSeconds * 1000;
  server.keepAliveTimeout = idleSeconds * 1000;
}
