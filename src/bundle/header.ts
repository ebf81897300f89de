import { FormatError } from "./errors.js";

/** `header.txt`: the parameters decryption needs, in a fixed grammar (docs/FORMAT.md). */
export interface Header {
  iv: Uint8Array;
  payloadBytes: number;
  metaSha256: string;
  /** Recipient fingerprints, in key-i.oaep order. */
  recipients: string[];
  /** Signer fingerprints, in sig-i.pss order. */
  signers: string[];
}

export const FORMAT_VERSION = 2;
export const MAX_RECIPIENTS = 16;
export const MAX_SIGNERS = 4;
const MAGIC = "opensslwrap-bundle";

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

export function formatHeader(h: Header): Uint8Array {
  const lines = [
    `${MAGIC} ${FORMAT_VERSION}`,
    "cipher aes-256-ctr",
    `iv ${toHex(h.iv)}`,
    "mac hmac-sha256",
    `payload-bytes ${String(h.payloadBytes).padStart(20, "0")}`,
    `meta-sha256 ${h.metaSha256}`,
    "wrap rsa-oaep-sha256",
    ...h.recipients.map((f) => `recipient ${f}`),
    ...h.signers.map((f) => `signer ${f} rsa-pss-sha256`),
  ];
  return new TextEncoder().encode(lines.map((l) => `${l}\n`).join(""));
}

/** The header's length for N recipients and M signers (every value has a fixed width). */
export function headerLength(recipients: number, signers: number): number {
  const zero = "0".repeat(64);
  return formatHeader({ iv: new Uint8Array(16), payloadBytes: 0, metaSha256: zero, recipients: Array<string>(recipients).fill(zero), signers: Array<string>(signers).fill(zero) }).length;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function parseHeader(bytes: Uint8Array): Header {
  if (bytes.length > 4096) throw new FormatError("bundle header too large");
  const text = new TextDecoder("latin1").decode(bytes);
  if (!text.endsWith("\n")) throw new FormatError("bundle header is malformed");
  const lines = text.slice(0, -1).split("\n");
  const first = /^opensslwrap-bundle (\d{1,6})$/.exec(lines[0] ?? "");
  if (first === null) throw new FormatError("not an opensslwrap bundle (no v2 header)");
  const version = Number(first[1]);
  if (version > FORMAT_VERSION) throw new FormatError(`bundle format version ${version} was made by a newer opensslwrap; upgrade to read it`);
  if (version !== FORMAT_VERSION) throw new FormatError(`unsupported bundle format version ${version}`);
  const expect = (i: number, re: RegExp): RegExpExecArray => {
    const m = re.exec(lines[i] ?? "");
    if (m === null) throw new FormatError(`bundle header line ${i + 1} is malformed`);
    return m;
  };
  expect(1, /^cipher aes-256-ctr$/);
  const iv = expect(2, /^iv ([0-9a-f]{32})$/)[1] ?? "";
  expect(3, /^mac hmac-sha256$/);
  const size = Number(expect(4, /^payload-bytes (\d{20})$/)[1]);
  const metaSha256 = expect(5, /^meta-sha256 ([0-9a-f]{64})$/)[1] ?? "";
  expect(6, /^wrap rsa-oaep-sha256$/);
  const recipients: string[] = [];
  const signers: string[] = [];
  for (let i = 7; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const r = /^recipient ([0-9a-f]{64})$/.exec(line);
    const s = /^signer ([0-9a-f]{64}) rsa-pss-sha256$/.exec(line);
    if (r !== null && signers.length === 0) recipients.push(r[1] ?? "");
    else if (s !== null) signers.push(s[1] ?? "");
    else throw new FormatError(`bundle header line ${i + 1} is malformed`);
  }
  if (recipients.length === 0 || recipients.length > MAX_RECIPIENTS) throw new FormatError("bundle header has a bad number of recipients");
  if (signers.length > MAX_SIGNERS) throw new FormatError("bundle header has too many signers");
  if (!Number.isSafeInteger(size) || ![...recipients, ...signers, metaSha256].every((f) => HEX64.test(f))) throw new FormatError("bundle header is malformed");
  return { iv: Uint8Array.from(iv.match(/../g) ?? [], (h) => parseInt(h, 16)), payloadBytes: size, metaSha256, recipients, signers };
}
