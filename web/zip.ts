/**
 * One download for several outputs: a zip archive without compression ("stored"), assembled as a
 * Blob from small header parts and the outputs' own disk-backed Files, so no output is copied.
 * UTF-8 names; ZIP64 records when a size or an offset does not fit 32 bits (APPNOTE 6.3.10,
 * sections 4.3-4.5). Only the CRC-32 of each output needs a pass over it (`crc32`).
 */

const TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k * 256 + n] = ((t[(k - 1) * 256 + n] as number) >>> 8) ^ (t[(t[(k - 1) * 256 + n] as number) & 0xff] as number);
  return t;
})();

/** CRC-32 (ISO-HDLC, as zip and gzip use) of `bytes`, continuing from `crc` (0 to start). Slicing-by-8. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = TABLES;
  let c = ~crc;
  let i = 0;
  for (const end8 = bytes.length - 7; i < end8; i += 8) {
    const lo = c ^ ((bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24));
    const hi = (bytes[i + 4] as number) | ((bytes[i + 5] as number) << 8) | ((bytes[i + 6] as number) << 16) | ((bytes[i + 7] as number) << 24);
    c =
      (t[1792 + (lo & 0xff)] as number) ^ (t[1536 + ((lo >>> 8) & 0xff)] as number) ^ (t[1280 + ((lo >>> 16) & 0xff)] as number) ^ (t[1024 + (lo >>> 24)] as number) ^
      (t[768 + (hi & 0xff)] as number) ^ (t[512 + ((hi >>> 8) & 0xff)] as number) ^ (t[256 + ((hi >>> 16) & 0xff)] as number) ^ (t[hi >>> 24] as number);
  }
  for (; i < bytes.length; i++) c = (t[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

export interface ZipEntry {
  name: string;
  size: number;
  crc: number;
  /** The content; absent when only the layout is wanted. */
  data?: Blob;
}

const MAX32 = 0xffffffff;

/** Little-endian fields written in order. */
class Fields {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u16(v: number): this {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }

  u32(v: number): this {
    this.view.setUint32(this.at, v, true);
    this.at += 4;
    return this;
  }

  u64(v: number): this {
    this.view.setBigUint64(this.at, BigInt(v), true);
    this.at += 8;
    return this;
  }

  raw(b: Uint8Array): this {
    this.bytes.set(b, this.at);
    this.at += b.length;
    return this;
  }

  done(): Uint8Array {
    if (this.at !== this.bytes.length) throw new Error("zip record length differs from its layout");
    return this.bytes;
  }
}

/** MS-DOS time and date fields of `d` (local time, 2-second steps, from 1980). */
function dosTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, Math.min(2107, d.getFullYear()));
  return { time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1), date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate() };
}

/**
 * The parts of a stored zip of `entries`, in order: header bytes, each entry's data (the entry
 * itself, to be replaced by its Blob), and the central directory.
 */
export function zipLayout(entries: readonly ZipEntry[], when = new Date()): (Uint8Array | ZipEntry)[] {
  const { time, date } = dosTime(when);
  const parts: (Uint8Array | ZipEntry)[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const big = e.size >= MAX32 || offset >= MAX32;
    const version = big ? 45 : 20;
    const local = new Fields(30 + name.length + (big ? 20 : 0))
      .u32(0x04034b50).u16(version).u16(0x0800).u16(0).u16(time).u16(date).u32(e.crc)
      .u32(big ? MAX32 : e.size).u32(big ? MAX32 : e.size).u16(name.length).u16(big ? 20 : 0).raw(name);
    if (big) local.u16(1).u16(16).u64(e.size).u64(e.size);
    parts.push(local.done(), e);
    const dir = new Fields(46 + name.length + (big ? 28 : 0))
      .u32(0x02014b50).u16((3 << 8) | 45).u16(version).u16(0x0800).u16(0).u16(time).u16(date).u32(e.crc)
      .u32(big ? MAX32 : e.size).u32(big ? MAX32 : e.size).u16(name.length).u16(big ? 28 : 0).u16(0).u16(0).u16(0)
      .u32((0o100600 << 16) >>> 0).u32(big ? MAX32 : offset).raw(name);
    if (big) dir.u16(1).u16(24).u64(e.size).u64(e.size).u64(offset);
    central.push(dir.done());
    offset += 30 + name.length + (big ? 20 : 0) + e.size;
  }
  const size = central.reduce((n, c) => n + c.length, 0);
  parts.push(...central);
  const big = offset >= MAX32 || size >= MAX32 || entries.length >= 0xffff;
  if (big) {
    parts.push(new Fields(56).u32(0x06064b50).u64(44).u16((3 << 8) | 45).u16(45).u32(0).u32(0).u64(entries.length).u64(entries.length).u64(size).u64(offset).done());
    parts.push(new Fields(20).u32(0x07064b50).u32(0).u64(offset + size).u32(1).done());
  }
  const count = Math.min(entries.length, 0xffff);
  parts.push(new Fields(22).u32(0x06054b50).u16(0).u16(0).u16(count).u16(count).u32(big ? MAX32 : size).u32(big ? MAX32 : offset).u16(0).done());
  return parts;
}

/** The zip of `entries` as one Blob; their data are referred to, not copied. */
export function storedZip(entries: readonly ZipEntry[], when?: Date): Blob {
  return new Blob(
    zipLayout(entries, when).map((p) => {
      if (p instanceof Uint8Array) return p as Uint8Array<ArrayBuffer>;
      if (p.data === undefined) throw new Error(`zip entry ${p.name} has no data`);
      return p.data;
    }),
    { type: "application/zip" },
  );
}

/** `names` made unique for one archive: a repeated "data.csv" becomes "data (2).csv". */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let candidate = name;
    const dot = name.lastIndexOf(".");
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
    for (let i = 2; seen.has(candidate.toLowerCase()); i++) candidate = `${stem} (${i})${ext}`;
    seen.add(candidate.toLowerCase());
    return candidate;
  });
}
