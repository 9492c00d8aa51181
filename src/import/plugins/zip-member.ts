import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

export class ZipError extends Error {}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  if (bytesRead !== length) throw new ZipError('truncated archive');
  return buf;
}

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError('archive offsets out of range');
  return Number(v);
}

interface Member {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** The central directory's place and entry count, zip64 included. */
async function directory(fh: FileHandle, fileSize: number): Promise<{ entries: number; offset: number }> {
  const tailLength = Math.min(fileSize, EOCD_MIN + MAX_COMMENT);
  if (tailLength < EOCD_MIN) throw new ZipError('not a zip archive (too short)');
  const tailStart = fileSize - tailLength;
  const tail = await readAt(fh, tailStart, tailLength);
  let at = -1;
  for (let i = tail.length - EOCD_MIN; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG && i + EOCD_MIN + tail.readUInt16LE(i + 20) <= tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new ZipError('not a zip archive (no end of central directory)');
  let entries = tail.readUInt16LE(at + 10);
  let offset = tail.readUInt32LE(at + 16);
  if (entries === U16_MAX || offset === U32_MAX) {
    const locatorAt = at - 20;
    if (locatorAt < 0 || tail.readUInt32LE(locatorAt) !== ZIP64_LOCATOR_SIG)
      throw new ZipError('zip64 locator missing');
    const eocd64 = await readAt(fh, u64(tail, locatorAt + 8), 56);
    if (eocd64.readUInt32LE(0) !== ZIP64_EOCD_SIG)
      throw new ZipError('zip64 end of central directory missing');
    entries = u64(eocd64, 32);
    offset = u64(eocd64, 48);
  }
  return { entries, offset };
}

async function onlyMember(fh: FileHandle, fileSize: number): Promise<Member> {
  const { entries, offset } = await directory(fh, fileSize);
  if (entries !== 1) {
    throw new ZipError(
      entries === 0 ? 'Archive contains no file.' : `Archive contains more than one file (${entries}).`,
    );
  }
  const head = await readAt(fh, offset, 46);
  if (head.readUInt32LE(0) !== CENTRAL_SIG) throw new ZipError('corrupt central directory');
  const flags = head.readUInt16LE(8);
  if (flags & 0x1) throw new ZipError('encrypted archives are not supported');
  const nameLength = head.readUInt16LE(28);
  const extraLength = head.readUInt16LE(30);
  const rest = await readAt(fh, offset + 46, nameLength + extraLength);
  const member: Member = {
    name: rest.subarray(0, nameLength).toString('utf8'),
    method: head.readUInt16LE(10),
    crc: head.readUInt32LE(16),
    compressedSize: head.readUInt32LE(20),
    size: head.readUInt32LE(24),
    localOffset: head.readUInt32LE(42),
  };
  // Zip64 extra field: the 64-bit values, in this order, of those whose 32-bit field is saturated.
  const extra = rest.subarray(nameLength);
  for (let i = 0; i + 4 <= extra.length;) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (id === 0x0001) {
      let p = i + 4;
      const take = () => {
        if (p + 8 > i + 4 + len) throw new ZipError('corrupt zip64 extra field');
        const v = u64(extra, p);
        p += 8;
        return v;
      };
      if (member.size === U32_MAX) member.size = take();
      if (member.compressedSize === U32_MAX) member.compressedSize = take();
      if (member.localOffset === U32_MAX) member.localOffset = take();
    }
    i += 4 + len;
  }
  if (member.name.endsWith('/')) throw new ZipError('Archive holds a directory, not a file.');
  return member;
}

/**
 * The data of a zip archive's single member, streamed and checked (size and CRC-32) as it goes.
 * An archive with any other number of members, encryption, or a method other than stored or
 * deflate is refused.
 */
export async function openZipMember(path: string): Promise<Readable> {
  const fh = await open(path, 'r');
  let member: Member;
  let dataStart: number;
  try {
    const { size: fileSize } = await fh.stat();
    member = await onlyMember(fh, fileSize);
    const local = await readAt(fh, member.localOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL_SIG) throw new ZipError('corrupt local file header');
    dataStart = member.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (dataStart + member.compressedSize > fileSize) throw new ZipError('truncated archive');
  } finally {
    await fh.close();
  }
  if (member.method !== 0 && member.method !== 8)
    throw new ZipError(`unsupported compression method ${member.method}`);

  const raw =
    member.compressedSize === 0
      ? Readable.from([])
      : createReadStream(path, { start: dataStart, end: dataStart + member.compressedSize - 1 });
  let crc = 0;
  let size = 0;
  const expected = member;
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > expected.size) return done(new ZipError('member larger than the archive says'));
      crc = crc32(chunk, crc);
      done(null, chunk);
    },
    flush(done) {
      if (size !== expected.size) return done(new ZipError('member shorter than the archive says'));
      if (crc >>> 0 !== expected.crc >>> 0) return done(new ZipError('CRC-32 mismatch'));
      done();
    },
  });
  const inflate = member.method === 8 ? createInflateRaw() : undefined;
  const forward = (err: Error) => check.destroy(err);
  raw.on('error', forward);
  if (inflate) {
    inflate.on('error', forward);
    raw.pipe(inflate).pipe(check);
  } else {
    raw.pipe(check);
  }
  check.on('close', () => raw.destroy());
  return check;
}
