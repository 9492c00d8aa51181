import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { ForbiddenError, NotFoundError } from '../../src/common/errors/domain-errors.js';
import type { StoreDriver } from '../../src/stores/store-driver.js';

/** What a driver's contract spec provides. */
export interface DriverHarness {
  driver: StoreDriver;
  /** Every byte-holding thing the store has (files, objects, unfinished uploads), by name. */
  leftovers(): Promise<string[]>;
  /** Read-only drivers: puts data where the driver can read it and returns its location. */
  seed?(name: string, data: Buffer): Promise<string>;
  /** A location that has no data. */
  missingLocation(): string;
  /** The driver's part size, when it writes in parts (a range read must cross a boundary). */
  partSize?: number;
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;

function chunked(data: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += CHUNK) parts.push(data.subarray(i, i + CHUNK));
  return Readable.from(parts, { objectMode: false });
}

/** Emits `bytes` of data, then fails like a client that went away. */
function failingAfter(bytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) {
        this.destroy(new Error('client disconnected'));
        return;
      }
      const n = Math.min(CHUNK, bytes - sent);
      sent += n;
      this.push(randomBytes(n));
    },
  });
}

/** Never ends: data keeps coming until the consumer stops. */
function endless(): Readable {
  return new Readable({
    read() {
      setImmediate(() => this.push(randomBytes(CHUNK)));
    },
  });
}

async function readAll(driver: StoreDriver, location: string, range?: { offset: number; length?: number }) {
  const { stream, length } = await driver.get(location, range);
  const data = await buffer(stream);
  return { data, length };
}

let counter = 0;
const newId = () => `img-${process.pid}-${Date.now()}-${counter++}`;

/**
 * The behaviour every store driver owes the image-data code: run it from `<type>.contract-spec.ts`
 * with a harness on a real back end (temp dir, local S3 server, local HTTP server).
 */
export function storeDriverContract(
  name: string,
  kind: { readOnly: boolean },
  makeHarness: () => Promise<DriverHarness>,
): void {
  describe(`store driver contract: ${name}`, () => {
    let h: DriverHarness;
    beforeAll(async () => {
      h = await makeHarness();
    });
    afterAll(async () => {
      await h?.close();
    });

    const writable = () => !kind.readOnly;
    const itWrites = it.skipIf(kind.readOnly);

    /** Stores data through the driver (or seeds it for read-only ones). */
    async function put(data: Buffer): Promise<string> {
      if (writable()) {
        const res = await h.driver.add(newId(), chunked(data), { expectedSize: data.length });
        expect(res.size).toBe(data.length);
        return res.location;
      }
      return h.seed!(newId(), data);
    }

    it('declares read, write when it writes, and a location scheme', () => {
      expect(h.driver.capabilities.has('read')).toBe(true);
      expect(h.driver.capabilities.has('write')).toBe(!kind.readOnly);
      expect(h.driver.schemes.length).toBeGreaterThan(0);
    });

    it('round-trips data byte for byte, with its size', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const location = await put(data);
      expect(h.driver.schemes).toContain(new URL(location).protocol.slice(0, -1));
      const { data: back, length } = await readAll(h.driver, location);
      expect(back.equals(data)).toBe(true);
      if (length !== undefined) expect(length).toBe(data.length);
      await expect(h.driver.getSize(location)).resolves.toBe(data.length);
    });

    it('round-trips empty data', async () => {
      const location = await put(Buffer.alloc(0));
      const { data } = await readAll(h.driver, location);
      expect(data.length).toBe(0);
      await expect(h.driver.getSize(location)).resolves.toBe(0);
    });

    it('reads byte ranges: inside, to the end, empty, and across a part boundary', async () => {
      const part = h.partSize ?? 1024 * 1024;
      const data = randomBytes(part * 2 + 1000);
      const location = await put(data);
      expect(h.driver.capabilities.has('random_access')).toBe(true);

      const inside = await readAll(h.driver, location, { offset: 10, length: 100 });
      expect(inside.data.equals(data.subarray(10, 110))).toBe(true);

      const tail = await readAll(h.driver, location, { offset: data.length - 7 });
      expect(tail.data.equals(data.subarray(data.length - 7))).toBe(true);

      const across = await readAll(h.driver, location, { offset: part - 10, length: 20 });
      expect(across.data.equals(data.subarray(part - 10, part + 10))).toBe(true);
      if (across.length !== undefined) expect(across.length).toBe(20);

      const empty = await readAll(h.driver, location, { offset: 5, length: 0 });
      expect(empty.data.length).toBe(0);
    });

    it('answers NotFoundError for data that is not there', async () => {
      await expect(h.driver.get(h.missingLocation())).rejects.toBeInstanceOf(NotFoundError);
      await expect(h.driver.getSize(h.missingLocation())).rejects.toBeInstanceOf(NotFoundError);
    });

    describe('writes', () => {
      itWrites('leaves nothing behind when the source fails mid-stream', async () => {
        const before = await h.leftovers();
        const bytes = (h.partSize ?? CHUNK * 4) * 2 + 12345;
        await expect(h.driver.add(newId(), failingAfter(bytes))).rejects.toThrow('client disconnected');
        expect(await h.leftovers()).toEqual(before);
      });

      itWrites('leaves nothing behind when the write is aborted', async () => {
        const before = await h.leftovers();
        const controller = new AbortController();
        const source = endless();
        let seen = 0;
        const limit = (h.partSize ?? CHUNK * 4) * 2 + CHUNK;
        source.on('data', (c: Buffer) => {
          seen += c.length;
          if (seen > limit) controller.abort();
        });
        await expect(h.driver.add(newId(), source, { signal: controller.signal })).rejects.toThrow();
        expect(await h.leftovers()).toEqual(before);
      });

      itWrites('refuses a second write under the same id and keeps the first', async () => {
        const id = newId();
        const first = await h.driver.add(id, chunked(Buffer.from('first')));
        await expect(h.driver.add(id, chunked(Buffer.from('second')))).rejects.toThrow(/already exists/);
        expect((await readAll(h.driver, first.location)).data.toString()).toBe('first');
      });

      itWrites('deletes data, and a second delete is NotFoundError', async () => {
        const location = await put(randomBytes(1000));
        await h.driver.delete(location);
        await expect(h.driver.get(location)).rejects.toBeInstanceOf(NotFoundError);
        await expect(h.driver.delete(location)).rejects.toBeInstanceOf(NotFoundError);
        await expect(h.driver.delete(h.missingLocation())).rejects.toBeInstanceOf(NotFoundError);
      });

      it.skipIf(!kind.readOnly)('is refused by a read-only store', async () => {
        await expect(h.driver.add(newId(), chunked(Buffer.from('x')))).rejects.toBeInstanceOf(ForbiddenError);
        const location = await put(Buffer.from('kept'));
        await expect(h.driver.delete(location)).rejects.toBeInstanceOf(ForbiddenError);
        expect((await readAll(h.driver, location)).data.toString()).toBe('kept');
      });
    });
  });
}
