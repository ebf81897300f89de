import type { OpenSSL } from "../engine.js";
import { hex } from "../hex.js";
import { withSecrets } from "../secrets.js";
import type { InputFile } from "../run.js";
import type { FileNode } from "../../wasi/index.js";

export interface EncOptions {
  input: InputFile;
  /** Where the result goes. Default: returned in memory. */
  output?: FileNode;
  decrypt?: boolean;
  /** Default aes-256-cbc. */
  cipher?: string;
  /** Raw key and IV (`-K/-iv`). */
  key?: { key: Uint8Array; iv: Uint8Array };
  /** A password (`-pass`), from which key and IV are derived. */
  pass?: Uint8Array | string;
  /** Digest for the key derivation: md5 for OpenSSL < 1.1.0 files, sha256 after. */
  md?: string;
  /** PBKDF2 instead of EVP_BytesToKey; a number sets the iterations. */
  pbkdf2?: boolean | number;
  /** Fixed salt (`-S`); default random. */
  salt?: Uint8Array;
  /** Base64 text (`-a`); `"single-line"` adds `-A`. */
  base64?: boolean | "single-line";
  /** I/O buffer size; larger buffers mean fewer host calls on big files. */
  bufsize?: number;
}

/**
 * The arguments of `enc` from /in/data to /out/data (`pass`: the `-pass` argument that carries a
 * password, see secrets.ts). `named`: the command is the cipher's own name (`aes-256-ctr ...`,
 * encrypting unless `-d`), as a command line of the engine's batch mode must: OpenSSL's option
 * parser keeps a cipher given as an option (`-aes-256-ctr`) from one command to the next, and
 * refuses the second.
 */
export function encArgv(o: Omit<EncOptions, "input" | "output" | "pass">, pass?: string, named = false): string[] {
  const cipher = o.cipher ?? "aes-256-cbc";
  const direction = o.decrypt === true ? ["-d"] : named ? [] : ["-e"];
  const args = [...(named ? [cipher] : ["enc"]), ...direction, ...(named ? [] : [`-${cipher}`]), "-in", "/in/data", "-out", "/out/data"];
  if (o.key !== undefined) args.push("-K", hex(o.key.key), "-iv", hex(o.key.iv));
  if (pass !== undefined) args.push("-pass", pass);
  if (o.md !== undefined) args.push("-md", o.md);
  if (o.pbkdf2 !== undefined && o.pbkdf2 !== false) args.push("-pbkdf2", ...(typeof o.pbkdf2 === "number" ? ["-iter", String(o.pbkdf2)] : []));
  if (o.salt !== undefined) args.push("-S", hex(o.salt));
  if (o.base64 !== undefined && o.base64 !== false) args.push("-a", ...(o.base64 === "single-line" ? ["-A"] : []));
  args.push("-bufsize", String(o.bufsize ?? 1 << 20));
  return args;
}

/** `openssl enc`: returns the result, or an empty array when it went to `output`. */
export function enc(openssl: OpenSSL, o: EncOptions): Promise<Uint8Array> {
  return withSecrets(async (secrets) => {
    const args = encArgv(o, o.pass === undefined ? undefined : secrets.pass("enc", o.pass));
    const files: Record<string, InputFile> = { ...secrets.files, "/in/data": o.input };
    if (o.output !== undefined) files["/out/data"] = o.output;
    const r = await openssl.run(args, { files, dirs: ["/out"] });
    return r.files.get("/out/data") ?? new Uint8Array(0);
  });
}
