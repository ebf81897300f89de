import type { EngineChoice } from "../bundle/bulk/engine.js";
import type { Context } from "../bundle/context.js";
import { decryptFile, rotateFile } from "../verbs/node.js";
import { encryptAll, type FileResult } from "./batch.js";
import { flag, need, parse, str, strs, UsageError, type Parsed } from "./args.js";
import { fileArgs } from "./glob.js";
import { readKeys } from "../api/signatures.js";
import { fileSize, help, json, privateKey, publicKeyArgs, say, warn, wipeKey } from "./io.js";
import { progress } from "./progress.js";

export const ENCRYPT_HELP = `usage: opensslwrap encrypt FILE... --pubkey PEM [--pubkey PEM ...] [options]

Encrypts each FILE to FILE.enc for the holders of the private keys (each can decrypt alone).
The bundle is verified by reading it back before FILE is overwritten and removed.

  --pubkey PEM            recipient's public key (repeat for several recipients); a file may
                          hold several PEM keys one after another (a recipients file), and a
                          folder stands for its *.pub.pem files
  --keep                  keep FILE (default: remove it after the bundle is verified)
  --out PATH              bundle path (one FILE only; default FILE.enc)
  --no-meta               store only what decryption needs
  --no-name               leave FILE's name out of the meta-data
  --no-date               leave the date out of the meta-data
  --note TEXT             a one-line note (<= 120 characters) in the meta-data
  --sign-with PRIV        also sign the bundle with this private key
  --passphrase-file F     passphrase of the signing key (or OPENSSLWRAP_PASSPHRASE)
  --engine wasm           keep all cryptography in the wasm engine (default auto: the
                          bulk cipher and MAC use native AES/SHA when available; same bytes)
  --json                  print results as JSON`;

/** --engine: "auto" (default) or "wasm". */
function engine(p: Parsed): EngineChoice {
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
  if (str(p, "out") !== undefined && files.length > 1) throw new UsageError("--out works with one FILE only");
  const signPath = str(p, "sign-with");
  const signWith = signPath === undefined ? undefined : await privateKey(signPath, str(p, "passphrase-file"));
  const asJson = flag(p, "json");
  const publicKeys = publicKeyArgs(pubkeys);
  const results: FileResult[] = [];
  try {
    const options = { publicKeys, signWith, out: str(p, "out"), keep: flag(p, "keep"), noMeta: flag(p, "no-meta"), noName: flag(p, "no-name"), noDate: flag(p, "no-date"), note: str(p, "note"), engine: engine(p) };
    const sizes = files.map(fileSize);
    const bars = progress("encrypting", files, sizes, !asJson);
    await encryptAll(ctx, files, sizes, options, {
      onResult: (r) => {
        results.push(r);
        if (asJson) return;
        bars.print(() => {
          for (const w of r.warnings) warn(w);
          if (r.bundle !== undefined) say(r.bundle);
        });
      },
      onProgress: bars.update,
      onFinished: bars.finish,
    }).finally(bars.stop);
  } finally {
    if (signWith !== undefined) wipeKey(signWith);
  }
  const failed = results.filter((r) => r.error !== undefined);
  if (asJson) json(results.map((r) => ({ file: r.file, ...(r.bundle !== undefined ? { bundle: r.bundle, kept: flag(p, "keep") } : { error: r.error }), warnings: r.warnings })));
  else for (const r of failed) process.stderr.write(`opensslwrap: ${files.length > 1 ? `${r.file}: ` : ""}${r.error ?? ""}\n`);
  return failed.length > 0 ? 1 : 0;
}

export const DECRYPT_HELP = `usage: opensslwrap decrypt BUNDLE... --privkey PEM [options]

Decrypts each BUNDLE (this format, or the 2012 opensslwrap / pyFileSec layouts). The bundle's
integrity is checked before any plaintext is written; BUNDLE is kept.

  --privkey PEM           your private key
  --passphrase-file F     its passphrase (or OPENSSLWRAP_PASSPHRASE, or a prompt on a terminal)
  --out PATH              output path (one BUNDLE only; default: the original name, next to BUNDLE)
  --force                 replace an existing output file
  --signer PEM            refuse BUNDLE unless this key signed it (encrypt --sign-with);
                          repeat for several, each must have signed; a file of several keys or
                          a folder of *.pub.pem means all of them. Checked before any plaintext
                          is written (one more pass over the bundle per key)
  --engine wasm           keep all cryptography in the wasm engine
  --json                  print results as JSON`;

export async function decryptVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { privkey: { type: "string" }, "passphrase-file": { type: "string" }, out: { type: "string" }, force: { type: "boolean" }, signer: { type: "string", multiple: true }, json: { type: "boolean" }, engine: { type: "string" } });
  if (flag(p, "help")) return help(DECRYPT_HELP);
  const bundles = fileArgs(p.positionals);
  if (bundles.length === 0) throw new UsageError("no BUNDLE to decrypt");
  if (str(p, "out") !== undefined && bundles.length > 1) throw new UsageError("--out works with one BUNDLE only");
  const signers = await readKeys(ctx, publicKeyArgs(strs(p, "signer"), "signer's public key"));
  const key = await privateKey(need(str(p, "privkey"), "--privkey"), str(p, "passphrase-file"));
  const results = [];
  const bars = progress("decrypting", bundles, bundles.map(fileSize), !flag(p, "json"));
  try {
    for (const [i, bundle] of bundles.entries()) {
      const warnings: string[] = [];
      const r = await decryptFile(ctx, bundle, { privateKey: key, out: str(p, "out"), force: flag(p, "force"), signers, engine: engine(p), onProgress: bars.update && ((done, total) => bars.update?.(i, done, total)), onWarning: (m) => warnings.push(m) });
      bars.finish(i);
      results.push({ bundle, output: r.output, ...(warnings.length > 0 ? { warnings } : {}) });
      if (!flag(p, "json"))
        bars.print(() => {
          for (const w of warnings) warn(w);
          say(r.output);
        });
    }
  } finally {
    bars.stop();
    wipeKey(key);
  }
  if (flag(p, "json")) json(results);
  return 0;
}

export const ROTATE_HELP = `usage: opensslwrap rotate BUNDLE --privkey OLD --pubkey NEW [--pubkey NEW ...] [options]

Decrypts BUNDLE in memory and re-encrypts it for the NEW public keys with fresh secrets,
replacing BUNDLE atomically. The meta-data keeps the history of earlier encryptions.

  --privkey OLD           the private key that opens BUNDLE now
  --pubkey NEW            new recipient public key (repeat for several; a file of several
                          keys, or a folder of *.pub.pem, as for encrypt)
  --passphrase-file F     passphrase of OLD (or OPENSSLWRAP_PASSPHRASE, or a prompt)
  --no-date               leave the rotation date out of the meta-data
  --engine wasm           keep all cryptography in the wasm engine
  --json                  print the result as JSON`;

export async function rotateVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { privkey: { type: "string" }, pubkey: { type: "string", multiple: true }, "passphrase-file": { type: "string" }, "no-date": { type: "boolean" }, json: { type: "boolean" }, engine: { type: "string" } });
  if (flag(p, "help")) return help(ROTATE_HELP);
  const [bundle, ...extra] = fileArgs(p.positionals);
  if (bundle === undefined || extra.length > 0) throw new UsageError("rotate takes exactly one BUNDLE");
  const pubkeys = strs(p, "pubkey");
  if (pubkeys.length === 0) throw new UsageError("--pubkey is required");
  const key = await privateKey(need(str(p, "privkey"), "--privkey"), str(p, "passphrase-file"));
  try {
    const r = await rotateFile(ctx, bundle, key, { publicKeys: publicKeyArgs(pubkeys), noDate: flag(p, "no-date"), engine: engine(p), onWarning: warn });
    if (flag(p, "json")) json({ bundle: r.bundle, recipients: r.meta.recipients ?? [] });
    else say(r.bundle);
  } finally {
    wipeKey(key);
  }
  return 0;
}
