import { Encrypter } from "../api/encrypter.js";
import type { EngineChoice } from "../bundle/bulk/engine.js";
import type { Context } from "../bundle/context.js";
import { encryptStream } from "../verbs/node-pipes.js";
import { encryptAll } from "./batch.js";
import { flag, parse, str, strs, UsageError, type Parsed } from "./args.js";
import { fileArgs } from "./glob.js";
import { fileSize, help, privateKey, publicKeyArgs, wipeKey } from "./io.js";
import { progress } from "./progress.js";
import { inputError, Report } from "./report.js";

export const ENCRYPT_HELP = `usage: opensslwrap encrypt FILE... --pubkey PEM [--pubkey PEM ...] [options]
       opensslwrap encrypt - --out BUNDLE --pubkey PEM [options]

Encrypts each FILE to FILE.enc for the holders of the private keys (each can decrypt alone).
The bundle is verified by reading it back before FILE is overwritten and removed. Every FILE
is tried, whatever happens to the others; the exit code is 1 if any failed.
With FILE '-', encrypts standard input (e.g. tar c data/ | opensslwrap encrypt - --out
data.tar.enc): the plaintext never touches the disk (a stream over 64 MiB is spooled next to
BUNDLE encrypted under a one-time key held in memory), the bundle is verified by reading it
back, and it records no file name.

  --pubkey PEM            recipient's public key (repeat for several recipients); a file may
                          hold several PEM keys one after another (a recipients file), and a
                          folder stands for its *.pub.pem files
  --keep                  keep FILE (default: remove it after the bundle is verified)
  --out PATH              bundle path (one FILE only; default FILE.enc; required with '-')
  --no-meta               store only what decryption needs
  --no-name               leave FILE's name out of the meta-data
  --no-date               leave the date out of the meta-data
  --note TEXT             a one-line note (<= 120 characters) in the meta-data
  --sign-with PRIV        also sign the bundle with this private key
  --passphrase-file F     passphrase of the signing key (or OPENSSLWRAP_PASSPHRASE)
  --engine wasm           keep all cryptography in the wasm engine (default auto: the
                          bulk cipher and MAC use native AES/SHA when available; same bytes)
  --json                  one JSON object per FILE and line: {"path","ok","output",
                          "kept","warnings"} or {"path","ok":false,"error":{"class","message"}}`;

/** --engine: "auto" (default) or "wasm". */
export function engine(p: Parsed): EngineChoice {
  const e = str(p, "engine") ?? "auto";
  if (e !== "auto" && e !== "wasm") throw new UsageError("--engine is auto or wasm");
  return e;
}

export async function encryptVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, {
    pubkey: { type: "string", multiple: true },
    keep: { type: "boolean" },
    out: { type: "string" },
    "no-meta": { type: "boolean" },
    "no-name": { type: "boolean" },
    "no-date": { type: "boolean" },
    note: { type: "string" },
    "sign-with": { type: "string" },
    "passphrase-file": { type: "string" },
    json: { type: "boolean" },
    engine: { type: "string" },
  });
  if (flag(p, "help")) return help(ENCRYPT_HELP);
  const files = fileArgs(p.positionals);
  if (files.length === 0) throw new UsageError("no FILE to encrypt");
  const pubkeys = strs(p, "pubkey");
  if (pubkeys.length === 0) throw new UsageError("--pubkey is required");
  const out = str(p, "out");
  if (out !== undefined && files.length > 1) throw new UsageError("--out works with one FILE only");
  if (out === "-") throw new UsageError("encrypt cannot write the bundle to standard output: it is read back from the disk before success is reported (--out BUNDLE)");
  const fromStdin = files.includes("-");
  if (fromStdin && out === undefined) throw new UsageError("encrypting standard input ('-') needs --out BUNDLE");
  const signPath = str(p, "sign-with");
  const signWith = signPath === undefined ? undefined : await privateKey(signPath, str(p, "passphrase-file"));
  const asJson = flag(p, "json");
  const publicKeys = publicKeyArgs(pubkeys);
  const options = { publicKeys, signWith, out, keep: flag(p, "keep"), noMeta: flag(p, "no-meta"), noName: flag(p, "no-name"), noDate: flag(p, "no-date"), note: str(p, "note"), engine: engine(p) };
  try {
    if (fromStdin && out !== undefined) {
      const report = new Report(asJson, false);
      const encrypter = await Encrypter.create(ctx, options);
      try {
        const r = await encryptStream(encrypter, process.stdin, out, options);
        report.add({ path: "-", output: r.bundle, warnings: r.warnings });
      } catch (e) {
        report.add({ path: "-", error: inputError(e), warnings: [] });
      } finally {
        encrypter.wipe();
      }
      return report.code();
    }
    const sizes = files.map(fileSize);
    const bars = progress("encrypting", files, sizes, !asJson);
    const report = new Report(asJson, files.length > 1, (body) => bars.print(body));
    await encryptAll(ctx, files, sizes, options, {
      onResult: (r) =>
        report.add({ path: r.file, output: r.bundle, warnings: r.warnings, extra: { kept: options.keep }, ...(r.error === undefined ? {} : { error: { class: r.errorClass ?? "Error", message: r.error } }) }),
      onProgress: bars.update,
      onFinished: bars.finish,
    }).finally(bars.stop);
    return report.code();
  } finally {
    if (signWith !== undefined) wipeKey(signWith);
  }
}
