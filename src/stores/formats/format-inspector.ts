/**
 * Disk-format inspection while image bytes stream past, without a second read and without
 * keeping the image: each format's detector asks for the byte ranges it needs (a header, then
 * maybe a table the header points to) and gets them as the stream reaches them.
 */

/** A detector's request: `length` bytes at `offset`. */
interface Need {
  offset: number;
  length: number;
}

export interface Detection {
  format: DiskFormat;
  /** Size of the disk the image describes, in bytes. */
  virtualSize?: number;
  /** Why the image is unsafe to hand to a hypervisor (empty when safe). */
  violations: string[];
}

/** A detector yields what it needs and gets the bytes (shorter at end of stream, null if none). */
type Detector = Generator<Need, Detection | null, Buffer | null>;

export type DiskFormat = 'qcow2' | 'vhd' | 'vhdx' | 'vmdk' | 'vdi' | 'iso' | 'raw';

export interface InspectorOptions {
  /** vmdk create-types that may be uploaded ([image_format] vmdk_allowed_types). */
  vmdkAllowedTypes: readonly string[];
}

/** Bytes kept from the start of the image, for detectors that ask late for an early range. */
const HEAD_BYTES = 64 * 1024;
/** A request larger than this is refused (a hostile header must not make us buffer the image). */
const MAX_NEED = 4 * 1024 * 1024;
const SECTOR = 512;

const u32le = (b: Buffer, o: number) => b.readUInt32LE(o);
const u32be = (b: Buffer, o: number) => b.readUInt32BE(o);
const u64le = (b: Buffer, o: number) => Number(b.readBigUInt64LE(o));
const u64be = (b: Buffer, o: number) => Number(b.readBigUInt64BE(o));

function* qcow2(): Detector {
  const h = yield { offset: 0, length: 104 };
  if (!h || h.length < 72 || h.toString('latin1', 0, 4) !== 'QFI\xfb') return null;
  const version = u32be(h, 4);
  if (version !== 2 && version !== 3) return null;
  const violations: string[] = [];
  if (u64be(h, 8) !== 0) violations.push('qcow2 image has a backing file');
  if (version === 3 && h.length >= 80) {
    const incompatible = h.readBigUInt64BE(72);
    if (incompatible & 0x4n) violations.push('qcow2 image has an external data file');
    // Bits 0-4 are dirty, corrupt, external data file, compression type, extended L2.
    if (incompatible & ~0x1fn) violations.push('qcow2 image has unknown incompatible features');
  }
  return { format: 'qcow2', virtualSize: u64be(h, 24), violations };
}

function* vhd(): Detector {
  // Dynamic and differencing VHDs start with a copy of the footer; a fixed VHD has it only at
  // the end and reads as raw, as in Glance.
  const h = yield { offset: 0, length: 512 };
  if (!h || h.length < 64 || h.toString('latin1', 0, 8) !== 'conectix') return null;
  const violations: string[] = [];
  // Disk type 4 is differencing: its data depends on a parent file.
  if (h.length >= 64 && u32be(h, 60) === 4)
    violations.push('vhd image is a differencing disk (has a parent)');
  return { format: 'vhd', virtualSize: u64be(h, 48), violations };
}

/** A GUID in its on-disk (mixed-endian) byte order. */
function guid(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]);
}
const VHDX_METADATA_REGION = guid('8B7CA206-4790-4B9A-B8FE-575F050F886E');
const VHDX_VIRTUAL_DISK_SIZE = guid('2FA54224-CD1B-4876-B211-5DBED83BF4B8');
const VHDX_PARENT_LOCATOR = guid('A8D35F2D-B30B-454D-ABF7-D3D84834AB0C');

function* vhdx(): Detector {
  const h = yield { offset: 0, length: 8 };
  if (!h || h.toString('latin1', 0, 8) !== 'vhdxfile') return null;
  const unknown: Detection = { format: 'vhdx', violations: [] };
  const table = yield { offset: 192 * 1024, length: 64 * 1024 };
  if (!table || table.length < 16 || table.toString('latin1', 0, 4) !== 'regi') return unknown;
  const count = Math.min(u32le(table, 8), 2047);
  let region: { offset: number; length: number } | undefined;
  for (let i = 0; i < count && 16 + i * 32 + 32 <= table.length; i++) {
    const at = 16 + i * 32;
    if (table.subarray(at, at + 16).equals(VHDX_METADATA_REGION)) {
      region = { offset: u64le(table, at + 16), length: u32le(table, at + 24) };
    }
  }
  if (!region) return unknown;
  const meta = yield { offset: region.offset, length: Math.min(region.length, 1024 * 1024) };
  if (!meta || meta.length < 32 || meta.toString('latin1', 0, 8) !== 'metadata') return unknown;
  const entries = meta.readUInt16LE(10);
  const violations: string[] = [];
  let virtualSize: number | undefined;
  for (let i = 0; i < entries && 32 + i * 32 + 32 <= meta.length; i++) {
    const at = 32 + i * 32;
    const item = meta.subarray(at, at + 16);
    const offset = u32le(meta, at + 16);
    if (item.equals(VHDX_VIRTUAL_DISK_SIZE) && offset + 8 <= meta.length) virtualSize = u64le(meta, offset);
    if (item.equals(VHDX_PARENT_LOCATOR)) violations.push('vhdx image is a differencing disk (has a parent)');
  }
  return { format: 'vhdx', virtualSize, violations };
}

interface VmdkDescriptor {
  createType?: string;
  extents: Array<{ sectors: number; type: string; file?: string }>;
}

function parseVmdkDescriptor(text: string): VmdkDescriptor {
  const out: VmdkDescriptor = { extents: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const create = /^createType\s*=\s*"?([^"\s]*)"?/i.exec(line);
    if (create) out.createType = create[1];
    const extent = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\S+)(?:\s+"([^"]*)")?/i.exec(line);
    if (extent)
      out.extents.push({ sectors: Number(extent[2]), type: extent[3].toUpperCase(), file: extent[4] });
  }
  return out;
}

function vmdkViolations(d: VmdkDescriptor, embedded: boolean, options: InspectorOptions): string[] {
  const v: string[] = [];
  if (!d.createType) v.push('vmdk descriptor has no createType');
  else if (!options.vmdkAllowedTypes.includes(d.createType)) {
    v.push(
      `vmdk create-type ${d.createType} is not allowed (allowed: ${options.vmdkAllowedTypes.join(', ') || 'none'})`,
    );
  }
  // Only a sparse image whose single extent is its own grains keeps all data inside the upload;
  // any other extent names a file the hypervisor would open on the host.
  const inside =
    embedded && d.extents.length === 1 && d.extents[0].type === 'SPARSE' && isPlainName(d.extents[0].file);
  if (!inside) v.push('vmdk descriptor points to data outside the image');
  return v;
}

function isPlainName(file: string | undefined): boolean {
  return file !== undefined && file !== '' && !/[/\\]/.test(file) && file !== '..' && file !== '.';
}

function* vmdk(options: InspectorOptions): Detector {
  const h = yield { offset: 0, length: 512 };
  if (!h || h.length < 4) return null;
  if (h.toString('latin1', 0, 4) === 'KDMV') {
    if (h.length < 44) return { format: 'vmdk', violations: ['vmdk header is truncated'] };
    const capacity = u64le(h, 12) * SECTOR;
    const descOffset = u64le(h, 28) * SECTOR;
    const descSize = u64le(h, 36) * SECTOR;
    if (!descOffset || !descSize)
      return { format: 'vmdk', virtualSize: capacity, violations: ['vmdk image has no descriptor'] };
    const desc = yield { offset: descOffset, length: Math.min(descSize, 1024 * 1024) };
    const text = desc ? desc.toString('latin1').replace(/\0[\s\S]*$/, '') : '';
    return {
      format: 'vmdk',
      virtualSize: capacity,
      violations: vmdkViolations(parseVmdkDescriptor(text), true, options),
    };
  }
  // A descriptor-only vmdk: a text file naming extents that are other files.
  if (!h.toString('latin1', 0, Math.min(h.length, 64)).startsWith('# Disk DescriptorFile')) return null;
  const whole = yield { offset: 0, length: 64 * 1024 };
  const d = parseVmdkDescriptor((whole ?? h).toString('latin1'));
  const virtualSize = d.extents.reduce((sum, e) => sum + e.sectors * SECTOR, 0);
  return { format: 'vmdk', virtualSize, violations: vmdkViolations(d, false, options) };
}

function* vdi(): Detector {
  const h = yield { offset: 0, length: 0x180 };
  if (!h || h.length < 0x178 || u32le(h, 0x40) !== 0xbeda107f) return null;
  return { format: 'vdi', virtualSize: u64le(h, 0x170), violations: [] };
}

function* iso(): Detector {
  // ISO 9660: the primary volume descriptor sits in sector 16 of 2048-byte sectors.
  const pvd = yield { offset: 16 * 2048, length: 2048 };
  if (!pvd || pvd.length < 136 || pvd.toString('latin1', 1, 6) !== 'CD001') return null;
  const blocks = u32le(pvd, 80);
  const blockSize = pvd.readUInt16LE(128);
  return { format: 'iso', virtualSize: blocks * blockSize, violations: [] };
}

/** Which detector wins when several match (none of these signatures overlap in practice). */
const DETECTORS: Array<(o: InspectorOptions) => Detector> = [qcow2, vhdx, vhd, vmdk, vdi, iso];

interface Running {
  gen: Detector;
  need?: Need;
  parts: Buffer[];
  have: number;
  result?: Detection | null;
}

/**
 * Feed it every chunk in order with `write`, then call `finish` for the verdict. Memory is bounded
 * by HEAD_BYTES plus what the detectors ask for (each request capped at MAX_NEED).
 */
export class FormatInspector {
  private position = 0;
  /** First offset still at hand: the start of the chunk being written, else the position. */
  private available = 0;
  private readonly head: Buffer[] = [];
  private headLength = 0;
  private readonly running: Running[];

  constructor(options: InspectorOptions) {
    this.running = DETECTORS.map((make) => {
      const r: Running = { gen: make(options), parts: [], have: 0 };
      this.advance(r, undefined);
      return r;
    });
  }

  write(chunk: Buffer): void {
    const start = this.position;
    this.available = start;
    this.position += chunk.length;
    if (this.headLength < HEAD_BYTES) {
      const keep = chunk.subarray(0, HEAD_BYTES - this.headLength);
      this.head.push(Buffer.from(keep));
      this.headLength += keep.length;
    }
    for (const r of this.running) {
      // A satisfied request may be followed by another that this same chunk also covers.
      while (r.need && r.result === undefined) {
        const { offset, length } = r.need;
        const from = Math.max(offset + r.have, start);
        const to = Math.min(offset + length, this.position);
        if (to <= from) break;
        r.parts.push(Buffer.from(chunk.subarray(from - start, to - start)));
        r.have += to - from;
        if (r.have < length) break;
        this.advance(r, Buffer.concat(r.parts));
      }
    }
    this.available = this.position;
  }

  /** The verdict once the stream ended: the detected format, or raw. */
  finish(): Detection {
    for (const r of this.running) {
      while (r.result === undefined && r.need) this.advance(r, r.have ? Buffer.concat(r.parts) : null);
    }
    const found = this.running.find((r) => r.result);
    return found?.result ?? { format: 'raw', virtualSize: this.position, violations: [] };
  }

  get bytesSeen(): number {
    return this.position;
  }

  private advance(r: Running, input: Buffer | null | undefined): void {
    r.parts = [];
    r.have = 0;
    r.need = undefined;
    const step = input === undefined ? r.gen.next(null) : r.gen.next(input);
    if (step.done) {
      r.result = step.value;
      return;
    }
    const need = step.value;
    if (need.length > MAX_NEED || need.length <= 0 || need.offset < 0 || !Number.isSafeInteger(need.offset)) {
      this.advance(r, null);
      return;
    }
    if (need.offset < this.available) {
      // Asked for bytes already gone by: only the retained head can answer.
      const head = Buffer.concat(this.head);
      if (need.offset + need.length <= this.headLength) {
        this.advance(r, head.subarray(need.offset, need.offset + need.length));
        return;
      }
      if (this.headLength < this.available || need.offset >= this.headLength) {
        this.advance(r, null);
        return;
      }
      // The head holds everything before the current chunk: start from it, the rest follows.
      r.parts = [head.subarray(need.offset, this.available)];
      r.have = this.available - need.offset;
    }
    r.need = need;
  }
}
