import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { openZipMember } from './zip-member.js';

const dir = mkdtempSync(join(tmpdir(), 'glint-zip-'));

/** Archives are made by Info-ZIP's zip(1), not by the code under test. */
function zip(name: string, args: string[], input?: Buffer): string {
  const path = join(dir, name);
  execFileSync('zip', ['-q', ...args.map((a) => (a === '@out' ? path : a))], { cwd: dir, input });
  return path;
}

describe('openZipMember', () => {
  const data = Buffer.concat([randomBytes(200_000), Buffer.alloc(300_000)]);
  writeFileSync(join(dir, 'disk.img'), data);
  writeFileSync(join(dir, 'other.img'), randomBytes(10));

  it('extracts a deflated member', async () => {
    expect(await buffer(await openZipMember(zip('deflate.zip', ['@out', 'disk.img'])))).toEqual(data);
  });

  it('extracts a stored member', async () => {
    expect(await buffer(await openZipMember(zip('stored.zip', ['-0', '@out', 'disk.img'])))).toEqual(data);
  });

  it('extracts a streamed (zip64, data descriptor) member', async () => {
    const path = zip('stream.zip', ['@out', '-'], data);
    expect(await buffer(await openZipMember(path))).toEqual(data);
  });

  it('extracts an empty member', async () => {
    writeFileSync(join(dir, 'empty.img'), Buffer.alloc(0));
    expect((await buffer(await openZipMember(zip('empty.zip', ['@out', 'empty.img'])))).length).toBe(0);
  });

  it('refuses two members, a directory, and data that is not a zip', async () => {
    await expect(openZipMember(zip('two.zip', ['@out', 'disk.img', 'other.img']))).rejects.toThrow(
      'Archive contains more than one file (2).',
    );
    execFileSync('mkdir', ['-p', join(dir, 'd')]);
    await expect(openZipMember(zip('dir.zip', ['@out', 'd']))).rejects.toThrow('a directory');
    writeFileSync(join(dir, 'junk.zip'), randomBytes(1000));
    await expect(openZipMember(join(dir, 'junk.zip'))).rejects.toThrow('not a zip archive');
  });

  it('fails the stream when the member data is corrupt', async () => {
    const path = zip('corrupt.zip', ['-0', '@out', 'disk.img']);
    const bytes = readFileSync(path);
    bytes[1000] ^= 0xff; // inside the stored data
    writeFileSync(path, bytes);
    await expect(buffer(await openZipMember(path))).rejects.toThrow('CRC-32 mismatch');
  });
});
