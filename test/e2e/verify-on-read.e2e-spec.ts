import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, writeSync, closeSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { recordNotifications } from '../support/images.js';

const OCTET = 'application/octet-stream';
const run = promisify(execFile);

/** Downloads with curl (a real client on a real socket): exit code and the bytes it got. */
async function curl(url: string, headers: string[] = []): Promise<{ code: number; body: Buffer }> {
  const args = ['-sS', '--fail', ...headers.flatMap((h) => ['-H', h]), url];
  try {
    const { stdout } = await run('curl', args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, body: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: Buffer };
    return { code: e.code, body: e.stdout };
  }
}

async function listen(t: TestApp): Promise<string> {
  const server = t.app.getHttpServer();
  if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Flips one byte of the stored file in place, as a failing disk or a tampering hand would. */
function corrupt(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.from([0x5a]), 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

async function uploadedImage(t: TestApp, data: Buffer): Promise<string> {
  const created = await t.http
    .post('/v2/images')
    .send({ name: 'verify', disk_format: 'raw', container_format: 'bare' })
    .expect(201);
  const id = created.body.id as string;
  await t.http.put(`/v2/images/${id}/file`).set('Content-Type', OCTET).send(data).expect(204);
  return id;
}

describe('GLINT_VERIFY_ON_READ', () => {
  // Several read buffers long, with a first byte that is never 0x5a, so the flip always changes it.
  const data = Buffer.concat([Buffer.from([0]), randomBytes(3 * 1024 * 1024 + 123)]);

  describe('on', () => {
    let t: TestApp;
    let base: string;
    beforeAll(async () => {
      t = await startTestApp({ GLINT_VERIFY_ON_READ: 'true' });
      base = await listen(t);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('serves intact data whole', async () => {
      const id = await uploadedImage(t, data);
      const got = await curl(`${base}/v2/images/${id}/file`);
      expect(got.code).toBe(0);
      expect(got.body.equals(data)).toBe(true);
    });

    it('cuts a corrupt image short: the client sees a failed transfer, never the whole body', async () => {
      const id = await uploadedImage(t, data);
      corrupt(join(t.dataDir, 'images', id), 0);
      const sent = recordNotifications(t);

      const got = await curl(`${base}/v2/images/${id}/file`);
      expect(got.code).toBe(18); // CURLE_PARTIAL_FILE: the connection closed before Content-Length
      expect(got.body.length).toBeLessThan(data.length);

      // fetch (undici) reports the same transfer as an error, not as a clean end of the body.
      const res = await fetch(`${base}/v2/images/${id}/file`);
      expect(res.status).toBe(200);
      await expect(res.arrayBuffer()).rejects.toThrow();

      const send = sent.filter((n) => n.event_type === 'image.send');
      expect(send.length).toBeGreaterThan(0);
      expect(send.every((n) => n.priority === 'ERROR')).toBe(true);
      expect((send[0].payload as { bytes_sent: number }).bytes_sent).toBeLessThan(data.length);
    });

    it('a one-chunk corrupt image sends nothing, not even the status line', async () => {
      const small = Buffer.from('0123456789');
      const id = await uploadedImage(t, small);
      corrupt(join(t.dataDir, 'images', id), 3);
      const got = await curl(`${base}/v2/images/${id}/file`);
      // The headers leave with the first body bytes; none went out, so the reply is empty.
      expect(got.code).toBe(52); // CURLE_GOT_NOTHING
      expect(got.body.length).toBe(0);
    });

    it('does not verify ranged requests (a range cannot be checked against the whole-image hash)', async () => {
      const id = await uploadedImage(t, data);
      corrupt(join(t.dataDir, 'images', id), 0);
      const got = await curl(`${base}/v2/images/${id}/file`, ['Range: bytes=0-9']);
      expect(got.code).toBe(0);
      expect(got.body[0]).toBe(0x5a);
      expect(got.body.subarray(1).equals(data.subarray(1, 10))).toBe(true);
    });
  });

  describe('off (the default)', () => {
    let t: TestApp;
    let base: string;
    beforeAll(async () => {
      t = await startTestApp();
      base = await listen(t);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('serves the corrupt bytes as a complete 200 body', async () => {
      const id = await uploadedImage(t, data);
      corrupt(join(t.dataDir, 'images', id), 0);
      const got = await curl(`${base}/v2/images/${id}/file`);
      expect(got.code).toBe(0);
      expect(got.body.length).toBe(data.length);
      expect(got.body[0]).toBe(0x5a);
      expect(got.body.subarray(1).equals(data.subarray(1))).toBe(true);
    });
  });
});
