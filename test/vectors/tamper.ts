/**
 * Damage done on purpose, for the broken format vectors (test/vectors/generate.ts): tar header
 * fields rewritten with a valid checksum (so that the reader meets the hostile field, not a
 * checksum error), members edited or reordered and re-archived, base64 ciphertext altered.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tarMembers, untarBundle } from "../helpers/v2-reference.js";

const BLOCK = 512;
const latin1 = new TextDecoder("latin1");

/** Offset of the header block of member `name` in a ustar archive. */
function headerOf(archive: Uint8Array, name: string): number {
  for (let at = 0; at + BLOCK <= archive.length; ) {
    const block = archive.subarray(at, at + BLOCK);
    if (block.every((b) => b === 0)) break;
    const memberName = latin1.decode(block.subarray(0, 100)).replace(/\0.*$/s, "");
    if (memberName === name) return at;
    const size = parseInt(latin1.decode(block.subarray(124, 136)).replace(/[\0 ]/g, ""), 8);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new Error(`no member ${name}`);
}

/** The ustar header fields a hostile archive sets. */
export interface HeaderPatch {
  name?: string;
  /** 11 octal digits, as the size field holds them. */
  sizeOctal?: string;
  typeflag?: string;
  linkname?: string;
}

function put(block: Uint8Array, offset: number, length: number, value: string): void {
  if (value.length > length) throw new Error(`${value} does not fit ${length} bytes`);
  block.fill(0, offset, offset + length);
  block.set(new TextEncoder().encode(value), offset);
}

/** A copy of `archive` with fields of member `member`'s header replaced and its checksum recomputed. */
export function patchTarHeader(archive: Uint8Array, member: string, patch: HeaderPatch): Uint8Array {
  const out = archive.slice();
  const at = headerOf(out, member);
  const block = out.subarray(at, at + BLOCK);
  if (patch.name !== undefined) put(block, 0, 100, patch.name);
  if (patch.sizeOctal !== undefined) put(block, 124, 12, patch.sizeOctal);
  if (patch.typeflag !== undefined) put(block, 156, 1, patch.typeflag);
  if (patch.linkname !== undefined) put(block, 157, 100, patch.linkname);
  block.fill(0x20, 148, 156);
  const sum = block.reduce((s, b) => s + b, 0);
  put(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return out;
}

/**
 * Unpacks the bundle `bundle`, lets `edit` change its member files in a temp folder and `order`
 * choose the member list (default: the same names, same order), and archives them into `out`
 * with the format's tar fields.
 */
export function rewriteMembers(bundle: string, out: string, edit: (dir: string) => void, order = (names: string[]) => names): void {
  const dir = mkdtempSync(join(tmpdir(), "osw-vectors-"));
  try {
    const names = untarBundle(bundle, dir);
    edit(dir);
    tarMembers(dir, out, order(names));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** XORs byte `offset` of the member file `name` in `dir` (negative: from the end) with `mask`. */
export function flipMemberByte(dir: string, name: string, offset: number, mask = 0x01): void {
  const path = join(dir, name);
  const b = readFileSync(path);
  const at = offset < 0 ? b.length + offset : offset;
  b.writeUInt8(b.readUInt8(at) ^ mask, at);
  writeFileSync(path, b);
}

/**
 * `openssl enc -a` text with one ciphertext bit flipped, `fromEnd` bytes before the end of the
 * decoded bytes, re-encoded in 64-character lines as openssl writes them.
 */
export function flipBase64Ciphertext(text: Uint8Array, fromEnd: number): Uint8Array {
  const raw = Buffer.from(latin1.decode(text).replace(/\s/g, ""), "base64");
  raw.writeUInt8(raw.readUInt8(raw.length - fromEnd) ^ 0x01, raw.length - fromEnd);
  const b64 = raw.toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}
