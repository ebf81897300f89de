import { FormatError } from "./errors.js";

/**
 * The small part of POSIX tar that bundles use: regular members with plain base names, and a pax
 * `size=` record for members of 8 GiB or more. Reading is strict, because bundles come from
 * anywhere: links, devices, folders, paths and unknown pax records are refused.
 */

export const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777;

/** Random access to the bytes of an archive (a host file, a Blob, memory). */
export interface ByteSource {
  size(): number;
  /** Reads up to dst.length bytes at position; returns how many. */
  read(dst: Uint8Array, position: number): number;
}

export interface TarEntry {
  name: string;
  /** Where the content starts in the archive. */
  offset: number;
  size: number;
}

const ascii = new TextEncoder();
// One decoder of each kind (a batch of small files reads and writes thousands of headers).
const decoders = { latin1: new TextDecoder("latin1"), "utf-8": new TextDecoder("utf-8") };

function field(block: Uint8Array, at: number, len: number, value: string): void {
  block.set(ascii.encode(value).subarray(0, len), at);
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function header(name: string, size: number, type: string): Uint8Array {
  if (name.length > 100 || !/^[\x20-\x7e]+$/.test(name)) throw new RangeError(`bad tar member name ${name}`);
  const block = new Uint8Array(BLOCK);
  field(block, 0, 100, name);
  field(block, 100, 8, octal(0o600, 8));
  field(block, 108, 8, octal(0, 8));
  field(block, 116, 8, octal(0, 8));
  field(block, 124, 12, octal(size, 12));
  field(block, 136, 12, octal(0, 12));
  field(block, 148, 8, "        ");
  field(block, 156, 1, type);
  field(block, 257, 8, "ustar\x0000");
  let sum = 0;
  for (const b of block) sum += b;
  field(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

/** Zeros that pad a member of `size` bytes to a whole block. */
export function padding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The header block(s) of a regular member; a pax size record first when ustar cannot hold the size. */
export function memberHeader(name: string, size: number): Uint8Array {
  if (size <= MAX_OCTAL_SIZE) return header(name, size, "0");
  const body = `size=${size}\n`;
  // A pax record is "<length> <key>=<value>\n" where <length> counts itself too.
  let len = body.length + 3;
  while (`${len} ${body}`.length !== len) len = `${len} ${body}`.length;
  const record = ascii.encode(`${len} ${body}`);
  const out = new Uint8Array(BLOCK * 3);
  out.set(header(`PaxHeader/${name}`.slice(0, 100), record.length, "x"), 0);
  out.set(record, BLOCK);
  out.set(header(name, 0, "0"), BLOCK * 2);
  // The ustar size field is advisory when pax gives one; write the largest it holds.
  return out;
}

/** Two zero blocks: the end of the archive. */
export const END = new Uint8Array(BLOCK * 2);

function readExactly(src: ByteSource, position: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = src.read(out.subarray(done), position + done);
    if (n === 0) throw new FormatError("truncated archive");
    done += n;
  }
  return out;
}

/** A NUL-terminated header field. */
function text(block: Uint8Array, at: number, len: number, encoding: keyof typeof decoders = "latin1"): string {
  const raw = block.subarray(at, at + len);
  const end = raw.indexOf(0);
  return decoders[encoding].decode(end < 0 ? raw : raw.subarray(0, end));
}

function allZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

function number(block: Uint8Array, at: number, len: number): number {
  const s = text(block, at, len).trim();
  if (!/^[0-7]+$/.test(s)) throw new FormatError("not a tar archive (bad number field)");
  return parseInt(s, 8);
}

function checksumOk(block: Uint8Array, strict: boolean): boolean {
  // Strict (bundles of this format): the field must be written the way every common writer writes
  // it (6 octal digits, NUL, space: GNU tar, bsdtar, Python, Go, opensslwrap; or 7 digits and NUL,
  // or 6 digits, space, NUL). Otherwise the bytes after the NUL would be the only bytes of a
  // bundle that no check covers: a bit flipped there went unnoticed.
  if (strict && !/^(?:[0-7]{6}\0 |[0-7]{7}\0|[0-7]{6} \0)$/.test(decoders.latin1.decode(block.subarray(148, 156)))) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
  return sum === number(block, 148, 8);
}

/** pax records as key/value pairs; each record is "<length> <key>=<value>\n", length counting itself. */
function paxRecords(bytes: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    const len = Number(decoders.latin1.decode(bytes.subarray(at, space)));
    if (space < 0 || !Number.isSafeInteger(len) || len <= 0 || at + len > bytes.length || bytes[at + len - 1] !== 0x0a) throw new FormatError("malformed pax header in archive");
    const record = decoders["utf-8"].decode(bytes.subarray(space + 1, at + len - 1));
    const eq = record.indexOf("=");
    if (eq <= 0) throw new FormatError("malformed pax header in archive");
    records.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return records;
}

export interface TarOptions {
  /** Most members to accept (bounds work on hostile input). */
  maxEntries: number;
  /**
   * Accept what other tar writers add (pax path/time records, GNU long names), for the archives
   * of earlier tools. Bundles of this format allow only a pax `size` record.
   */
  lenient?: boolean;
}

/**
 * Lists the members of an archive, refusing anything that is not a plain regular file with a
 * plain name, and any member that runs past the end of the archive.
 */
export function listTar(src: ByteSource, o: TarOptions): TarEntry[] {
  const total = src.size();
  const entries: TarEntry[] = [];
  let position = 0;
  let next: { size?: number; name?: string } = {};
  for (;;) {
    if (position + BLOCK > total) throw new FormatError("truncated archive (no end marker)");
    const block = readExactly(src, position, BLOCK);
    position += BLOCK;
    if (allZero(block)) {
      if (next.size !== undefined || next.name !== undefined) throw new FormatError("extended header without a member");
      endOfArchive(src, position, total);
      return entries;
    }
    const magic = text(block, 257, 6);
    if (magic !== "ustar" && magic !== "ustar ") throw new FormatError("not a tar archive");
    if (!checksumOk(block, o.lenient !== true)) throw new FormatError("corrupted tar header (checksum)");
    const type = String.fromCharCode(block[156] ?? 0);
    const size = number(block, 124, 12);
    if (position + size > total) throw new FormatError("truncated archive (a member runs past the end)");
    if (type === "x" || type === "g" || type === "L") {
      if (size > 64 * 1024) throw new FormatError("oversized extended header");
      const content = readExactly(src, position, size);
      position += size + padding(size).length;
      if (type === "L" && o.lenient === true) next.name = decoders["utf-8"].decode(content).replace(/\0+$/, "");
      else if (type === "x") {
        const records = paxRecords(content);
        const known = [...records.keys()].every((k) => k === "size" || (o.lenient === true && ["path", "mtime", "atime", "ctime", "uid", "gid", "uname", "gname"].includes(k)));
        if (!known) throw new FormatError("unsupported pax header in archive");
        const paxSize = records.get("size");
        if (paxSize !== undefined) {
          if (!/^\d{1,16}$/.test(paxSize)) throw new FormatError("malformed pax size");
          next.size = Number(paxSize);
        }
        next.name = records.get("path") ?? next.name;
      } else if (o.lenient !== true) throw new FormatError("unsupported tar header type");
      continue;
    }
    if (type !== "0" && type !== "\0") throw new FormatError(`tar member ${JSON.stringify(text(block, 0, 100, "utf-8"))} is not a regular file`);
    // POSIX ustar (magic "ustar\0") keeps the first part of a long path in the prefix field: the
    // member's name is PREFIX/NAME, as `tar` lists and extracts it. Ignoring the prefix would accept
    // "anything/payload.bin" as "payload.bin". (Old GNU headers, magic "ustar ", use these bytes for
    // other fields.)
    const prefix = magic === "ustar" ? text(block, 345, 155, "utf-8") : "";
    const name = next.name ?? (prefix === "" ? "" : `${prefix}/`) + text(block, 0, 100, "utf-8");
    const memberSize = next.size ?? size;
    next = {};
    if (position + memberSize > total) throw new FormatError(`truncated archive (member ${JSON.stringify(name)} runs past the end)`);
    if (name === "" || name.includes("/") || name === "." || name === "..") throw new FormatError(`tar member name ${JSON.stringify(name)} is not a plain file name`);
    if (entries.some((e) => e.name === name)) throw new FormatError(`duplicate tar member ${JSON.stringify(name)}`);
    entries.push({ name, offset: position, size: memberSize });
    if (entries.length > o.maxEntries) throw new FormatError("too many members for a bundle");
    position += memberSize;
    // Padding is not data, but a strict reader leaves no byte unchecked.
    const pad = padding(memberSize).length;
    if (pad > 0 && !allZero(readExactly(src, position, pad))) throw new FormatError(`tar member ${JSON.stringify(name)} has non-zero padding`);
    position += pad;
  }
}

/**
 * After the first zero block: a second one, then nothing but zeros (tar writers pad to their
 * record size, GNU tar to 10 KiB). Anything else is a truncated or doctored archive.
 */
function endOfArchive(src: ByteSource, position: number, total: number): void {
  const rest = total - position;
  if (rest < BLOCK || rest % BLOCK !== 0) throw new FormatError("truncated archive (incomplete end marker)");
  if (rest > 64 * BLOCK) throw new FormatError("unexpected data after the end of the archive");
  if (!allZero(readExactly(src, position, rest))) throw new FormatError("unexpected data after the end of the archive");
}

/**
 * The name in an archive's first header block, or undefined when the file does not start with a
 * tar header block (not a tar archive: too short, or no ustar magic).
 */
export function firstMemberName(src: ByteSource): string | undefined {
  if (src.size() < BLOCK) return undefined;
  const block = readExactly(src, 0, BLOCK);
  const magic = text(block, 257, 6);
  return magic === "ustar" || magic === "ustar " ? text(block, 0, 100, "utf-8") : undefined;
}

/** A member's whole content (for small members only). */
export function readMember(src: ByteSource, entry: TarEntry): Uint8Array {
  return readExactly(src, entry.offset, entry.size);
}
