import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsupportedMediaTypeError } from '../../common/errors/domain-errors.js';
import * as fx from '../../../test/fixtures/disk-images.js';
import { FormatInspector } from './format-inspector.js';
import type { Detection } from './format-inspector.js';
import { judgeImageFormat } from './format-policy.js';

const ALLOWED = ['streamOptimized', 'monolithicSparse'];

/** Feeds `data` in chunks of `chunk` bytes, as a socket would deliver it. */
function inspect(data: Buffer, chunk = 65536, allowed = ALLOWED): Detection {
  const inspector = new FormatInspector({ vmdkAllowedTypes: allowed });
  for (let i = 0; i < data.length; i += chunk) inspector.write(data.subarray(i, i + chunk));
  return inspector.finish();
}

describe('FormatInspector', () => {
  describe.each([1000, 4096, 65536, 1 << 22])('fed in %i-byte chunks', (chunk) => {
    it('recognises qcow2 and its virtual size', () => {
      expect(inspect(fx.qcow2({ virtualSize: 1 << 30 }), chunk)).toEqual({
        format: 'qcow2',
        virtualSize: 1 << 30,
        violations: [],
      });
    });

    it('recognises vhd, vhdx, vdi, iso and sparse vmdk', () => {
      expect(inspect(fx.vhd(10 * 1024 * 1024), chunk)).toMatchObject({
        format: 'vhd',
        virtualSize: 10485760,
      });
      expect(inspect(fx.vhdx(5 * 1024 * 1024 * 1024), chunk)).toMatchObject({
        format: 'vhdx',
        virtualSize: 5 * 1024 * 1024 * 1024,
        violations: [],
      });
      expect(inspect(fx.vdi(123456 * 512), chunk)).toMatchObject({
        format: 'vdi',
        virtualSize: 123456 * 512,
      });
      expect(inspect(fx.iso(300), chunk)).toMatchObject({ format: 'iso', virtualSize: 300 * 2048 });
      expect(
        inspect(fx.vmdkSparse({ capacitySectors: 2048, createType: 'monolithicSparse' }), chunk),
      ).toEqual({
        format: 'vmdk',
        virtualSize: 2048 * 512,
        violations: [],
      });
    });

    it('calls anything else raw, sized by its bytes', () => {
      const data = Buffer.alloc(100_000, 7);
      expect(inspect(data, chunk)).toEqual({ format: 'raw', virtualSize: 100_000, violations: [] });
    });
  });

  it('flags a qcow2 backing file, external data file and unknown features', () => {
    expect(inspect(fx.qcow2({ virtualSize: 1 << 20, backingFile: '/etc/passwd' })).violations).toEqual([
      'qcow2 image has a backing file',
    ]);
    expect(inspect(fx.qcow2({ virtualSize: 1 << 20, incompatibleFeatures: 0x4n })).violations).toEqual([
      'qcow2 image has an external data file',
    ]);
    expect(inspect(fx.qcow2({ virtualSize: 1 << 20, incompatibleFeatures: 1n << 40n })).violations).toEqual([
      'qcow2 image has unknown incompatible features',
    ]);
  });

  it('flags vmdk create-types that are not allowed and extents outside the image', () => {
    const flat = inspect(fx.vmdkSparse({ capacitySectors: 2048, createType: 'monolithicFlat' }));
    expect(flat.violations[0]).toMatch(/create-type monolithicFlat is not allowed/);
    const outside = inspect(
      fx.vmdkSparse({
        capacitySectors: 2048,
        createType: 'monolithicSparse',
        extents: ['RW 2048 FLAT "/etc/shadow" 0'],
      }),
    );
    expect(outside.violations).toEqual(['vmdk descriptor points to data outside the image']);
    const traversal = inspect(
      fx.vmdkSparse({
        capacitySectors: 2048,
        createType: 'monolithicSparse',
        extents: ['RW 2048 SPARSE "../x.vmdk"'],
      }),
    );
    expect(traversal.violations).toEqual(['vmdk descriptor points to data outside the image']);
    const descriptor = inspect(
      fx.vmdkDescriptorOnly('monolithicSparse', 'RW 4096 FLAT "disk-flat.vmdk" 0'),
      7,
    );
    expect(descriptor).toMatchObject({ format: 'vmdk', virtualSize: 4096 * 512 });
    expect(descriptor.violations).toEqual(['vmdk descriptor points to data outside the image']);
    // The allowed list is the operator's.
    expect(
      inspect(fx.vmdkSparse({ capacitySectors: 8, createType: 'monolithicSparse' }), 4096, []).violations[0],
    ).toMatch(/not allowed/);
  });

  it('flags differencing vhd and vhdx', () => {
    expect(inspect(fx.vhd(1 << 20, 4)).violations).toEqual([
      'vhd image is a differencing disk (has a parent)',
    ]);
    expect(inspect(fx.vhdx(1 << 20, { parent: true })).violations).toEqual([
      'vhdx image is a differencing disk (has a parent)',
    ]);
  });

  it('does not buffer the image: a header pointing past the end is answered at the end', () => {
    const truncated = fx.vhdx(1 << 20).subarray(0, 300 * 1024); // metadata region cut off
    expect(inspect(truncated)).toEqual({ format: 'vhdx', violations: [] });
    expect(inspect(Buffer.from('QFI'))).toMatchObject({ format: 'raw', virtualSize: 3 });
    expect(inspect(Buffer.alloc(0))).toMatchObject({ format: 'raw', virtualSize: 0 });
  });
});

describe('judgeImageFormat (Glance 2024.2+ rules)', () => {
  const bare = (diskFormat: string, requireMatch = true) => ({
    diskFormat,
    containerFormat: 'bare',
    requireMatch,
  });
  const qcow = inspect(fx.qcow2({ virtualSize: 1 << 30 }));
  const raw = inspect(Buffer.alloc(4096));

  it('accepts matching content and gives its virtual size', () => {
    expect(judgeImageFormat(qcow, bare('qcow2'), 4096)).toBe(1 << 30);
    expect(judgeImageFormat(raw, bare('raw'), 4096)).toBe(4096);
  });

  it('refuses content that is not the declared format', () => {
    expect(() => judgeImageFormat(raw, bare('qcow2'), 4096)).toThrow(UnsupportedMediaTypeError);
    expect(() => judgeImageFormat(qcow, bare('vmdk'), 4096)).toThrow(
      /is qcow2, not the declared disk_format vmdk/,
    );
  });

  it('lets raw accept anything, sized by its bytes, but keeps the safety checks', () => {
    expect(judgeImageFormat(qcow, bare('raw'), 4096)).toBe(4096);
    const unsafe = inspect(fx.qcow2({ virtualSize: 1 << 20, backingFile: 'base' }));
    expect(() => judgeImageFormat(unsafe, bare('raw'), 4096)).toThrow(
      /qcow2 safety check: qcow2 image has a backing file/,
    );
  });

  it('lets formats it cannot inspect accept unrecognised content only', () => {
    expect(judgeImageFormat(raw, bare('aki'), 4096)).toBeNull();
    expect(() => judgeImageFormat(qcow, bare('ami'), 4096)).toThrow(
      /does not match the declared disk_format ami/,
    );
  });

  it('accepts mismatches when require_image_format_match is off, never unsafe images', () => {
    expect(judgeImageFormat(raw, bare('qcow2', false), 4096)).toBeNull();
    expect(judgeImageFormat(qcow, bare('vmdk', false), 4096)).toBe(1 << 30);
    const unsafe = inspect(fx.qcow2({ virtualSize: 1 << 20, incompatibleFeatures: 4n }));
    expect(() => judgeImageFormat(unsafe, bare('qcow2', false), 4096)).toThrow(UnsupportedMediaTypeError);
  });
});

/** Images made by qemu-img (Debian's qemu-utils), checked against what qemu-img itself reports. */
describe('FormatInspector on qemu-img images', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'glint-qemu-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function make(name: string, args: string[], size?: string): { data: Buffer; virtualSize: number } {
    const path = join(dir, name);
    const options = args.map((a) => a.replace('$DIR', dir));
    execFileSync('qemu-img', ['create', '-q', ...options, path, ...(size ? [size] : [])]);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', path], { encoding: 'utf8' }));
    return { data: readFileSync(path), virtualSize: info['virtual-size'] };
  }

  it.each([
    ['qcow2', ['-f', 'qcow2'], '64M'],
    ['qcow2', ['-f', 'qcow2', '-o', 'compat=0.10'], '64M'],
    ['vmdk', ['-f', 'vmdk'], '64M'],
    ['vmdk', ['-f', 'vmdk', '-o', 'subformat=streamOptimized'], '64M'],
    ['vhd', ['-f', 'vpc'], '64M'],
    ['vhdx', ['-f', 'vhdx'], '64M'],
    ['vdi', ['-f', 'vdi'], '64M'],
  ])('%s %j', (format, args, size) => {
    const image = make(`img-${format}-${args.join('')}`, args, size);
    const found = inspect(image.data, 65536);
    expect(found).toEqual({ format, virtualSize: image.virtualSize, violations: [] });
  });

  it('refuses qemu-img images with a backing file or an external data file', () => {
    make('base.qcow2', ['-f', 'qcow2'], '1M');
    const overlay = make('overlay.qcow2', ['-f', 'qcow2', '-b', '$DIR/base.qcow2', '-F', 'qcow2']);
    expect(inspect(overlay.data).violations).toContain('qcow2 image has a backing file');
    const external = make('external.qcow2', ['-f', 'qcow2', '-o', 'data_file=$DIR/external.raw'], '1M');
    expect(inspect(external.data).violations).toContain('qcow2 image has an external data file');
  });

  it('refuses a qemu-img monolithicFlat vmdk (its data is another file)', () => {
    const flat = make('flat.vmdk', ['-f', 'vmdk', '-o', 'subformat=monolithicFlat'], '1M');
    const found = inspect(flat.data);
    expect(found.format).toBe('vmdk');
    expect(found.violations).toEqual([
      'vmdk create-type monolithicFlat is not allowed (allowed: streamOptimized, monolithicSparse)',
      'vmdk descriptor points to data outside the image',
    ]);
  });
});
