import * as os from "node:os";
import * as path from "node:path";
import { Encrypter } from "../api/encrypter.js";
import { readKeys } from "../api/signatures.js";
import type { Context } from "../bundle/context.js";
import { PassphraseError, PrivateKeyError } from "../bundle/errors.js";
import type { KeyInput } from "../openssl/index.js";
import { decryptTo, receiveBundle } from "../verbs/node-pipes.js";
import { decryptFile, decryptSourceTo, rotateFile, type DecryptFileOptions } from "../verbs/node.js";
import { flag, need, parse, str, strs, UsageError } from "./args.js";
import { WRAPS_PER_RUN } from "./batch.js";
import { fileArgs } from "./glob.js";
import { fileSize, help, privateKey, publicKeyArgs, wipeKey, writeStdout } from "./io.js";
import { progress } from "./progress.js";
import { inputError, Report } from "./report.js";
import { engine } from "./verbs-files.js";

export const DECRYPT_HELP = `usage: opensslwrap decrypt BUNDLE... --privkey PEM [options]

Decrypts each BUNDLE (this format, or the 2012 opensslwrap / pyFileSec layouts). The bundle's
integrity is checked before any plaintext is written; BUNDLE is kept. Every BUNDLE is tried,
whatever happens to the others; the exit code is 1 if any failed.
BUNDLE '-' reads the bundle from standard input (held in memory, or over 64 MiB in a private
temp file removed afterwards: the whole bundle is needed to check it before any output).
'--out -' writes the plaintext to standard output, only after the bundle's tag has been checked
in a pass of its own (nothing unchecked is ever written); no file is created.

  --privkey PEM           your private key
  --passphrase-file F     its passphrase (or OPENSSLWRAP_PASSPHRASE, or a prompt on a terminal)
  --out PATH              output path (one BUNDLE only; default: the original name, next to
                          BUNDLE, or in the current folder for '-'); '-': standard output
  --force                 replace an existing output file
  --signer PEM            refuse BUNDLE unless this key signed it (encrypt --sign-with);
                          repeat for several, each must have signed; a file of several keys or
                          a folder of *.pub.pem means all of them. Checked before any plaintext
                          is written (one more pass over the bundle per key)
  --engine wasm           keep all cryptography in the wasm engine
  --json                  one JSON object per BUNDLE and line: {"path","ok","output",
                          "warnings"} or {"path","ok":false,"error":{"class","message"}}`;

/** Failures of the key, not of one bundle: the same for every bundle, so the run stops at once. */
const isKeyFailure = (e: unknown) => e instanceof PrivateKeyError || e instanceof PassphraseError;

/** Decrypts one BUNDLE argument ('-': standard input) to a file, or to standard output; returns the output's path (none for standard output). */
async function decryptOne(ctx: Context, bundle: string, toStdout: boolean, o: DecryptFileOptions): Promise<string | undefined> {
  if (bundle !== "-") {
    if (toStdout) await decryptTo(ctx, bundle, writeStdout, o);
    return toStdout ? undefined : (await decryptFile(ctx, bundle, o)).output;
  }
  // A bundle too big for memory waits in the folder of the output (the system's temp folder for standard output).
  const dir = toStdout ? os.tmpdir() : o.out === undefined ? "." : path.dirname(o.out);
  const received = await receiveBundle(process.stdin, dir, { onWarning: o.onWarning });
  try {
    if (toStdout) await decryptTo(ctx, received, writeStdout, o);
    return toStdout ? undefined : (await decryptSourceTo(ctx, received, { dir: "." }, o)).output;
  } finally {
    await received.dispose();
  }
}

export async function decryptVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { privkey: { type: "string" }, "passphrase-file": { type: "string" }, out: { type: "string" }, force: { type: "boolean" }, signer: { type: "string", multiple: true }, json: { type: "boolean" }, engine: { type: "string" } });
  if (flag(p, "help")) return help(DECRYPT_HELP);
  const bundles = fileArgs(p.positionals);
  if (bundles.length === 0) throw new UsageError("no BUNDLE to decrypt");
  const out = str(p, "out");
  if (out !== undefined && bundles.length > 1) throw new UsageError("--out works with one BUNDLE only");
  if (bundles.filter((b) => b === "-").length > 1) throw new UsageError("standard input ('-') can be read only once");
  const toStdout = out === "-";
  const asJson = flag(p, "json");
  if (toStdout && asJson) throw new UsageError("--json and --out - would both write to standard output");
  const signers = await readKeys(ctx, publicKeyArgs(strs(p, "signer"), "signer's public key"));
  const key = await privateKey(need(str(p, "privkey"), "--privkey"), str(p, "passphrase-file"));
  const bars = progress("decrypting", bundles, bundles.map((b) => (b === "-" ? 0 : fileSize(b))), !asJson && !toStdout);
  const report = new Report(asJson, bundles.length > 1, (body) => bars.print(body));
  try {
    for (const [i, bundle] of bundles.entries()) {
      const warnings: string[] = [];
      const o: DecryptFileOptions = { privateKey: key, out: toStdout ? undefined : out, force: flag(p, "force"), signers, engine: engine(p), onProgress: bars.update && ((done, total) => bars.update?.(i, done, total)), onWarning: (m) => warnings.push(m) };
      try {
        const output = await decryptOne(ctx, bundle, toStdout, o);
        report.add({ path: bundle, output, warnings });
      } catch (e) {
        if (isKeyFailure(e)) throw e;
        report.add({ path: bundle, error: inputError(e), warnings });
      } finally {
        bars.finish(i);
      }
    }
  } finally {
    bars.stop();
    wipeKey(key);
  }
  return report.code();
}

export const ROTATE_HELP = `usage: opensslwrap rotate BUNDLE... --privkey OLD --pubkey NEW [--pubkey NEW ...] [options]

Decrypts each BUNDLE in memory and re-encrypts it for the NEW public keys with fresh secrets,
replacing BUNDLE atomically once the new bundle has been read back and checked. The meta-data
keeps the history of earlier encryptions. A 2012 opensslwrap or pyFileSec bundle becomes a
bundle of this format (its meta-data kept in the history, marked as converted). Every BUNDLE
is tried, whatever happens to the others; the exit code is 1 if any failed.

  --privkey OLD           the private key that opens BUNDLE now
  --pubkey NEW            new recipient public key (repeat for several; a file of several
                          keys, or a folder of *.pub.pem, as for encrypt)
  --passphrase-file F     passphrase of OLD (or OPENSSLWRAP_PASSPHRASE, or a prompt)
  --no-date               leave the rotation date out of the meta-data
  --engine wasm           keep all cryptography in the wasm engine
  --json                  one JSON object per BUNDLE and line: {"path","ok","output",
                          "recipients","warnings"} or {"path","ok":false,"error":{"class","message"}}`;

/** Rotates each bundle with one encrypter: the new keys are read once, the secrets wrapped many per engine run. */
async function rotateAll(ctx: Context, bundles: readonly string[], key: KeyInput, encrypter: Encrypter, noDate: boolean, report: Report): Promise<void> {
  encrypter.expect(bundles.length);
  for (const bundle of bundles) {
    const warnings = [...encrypter.warnings];
    try {
      const r = await rotateFile(ctx, bundle, key, { encrypter, noDate, onWarning: (m) => warnings.push(m) });
      report.add({ path: bundle, output: r.bundle, warnings, extra: { recipients: r.meta.recipients ?? [] } });
    } catch (e) {
      if (isKeyFailure(e)) throw e;
      report.add({ path: bundle, error: inputError(e), warnings });
    }
  }
}

export async function rotateVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { privkey: { type: "string" }, pubkey: { type: "string", multiple: true }, "passphrase-file": { type: "string" }, "no-date": { type: "boolean" }, json: { type: "boolean" }, engine: { type: "string" } });
  if (flag(p, "help")) return help(ROTATE_HELP);
  const bundles = fileArgs(p.positionals);
  if (bundles.length === 0) throw new UsageError("no BUNDLE to rotate");
  if (bundles.includes("-")) throw new UsageError("rotate replaces each BUNDLE in place: it cannot read one from standard input");
  const pubkeys = strs(p, "pubkey");
  if (pubkeys.length === 0) throw new UsageError("--pubkey is required");
  const publicKeys = publicKeyArgs(pubkeys);
  const key = await privateKey(need(str(p, "privkey"), "--privkey"), str(p, "passphrase-file"));
  try {
    const encrypter = await Encrypter.create(ctx, { publicKeys, engine: engine(p), batch: bundles.length > 1 ? WRAPS_PER_RUN : 1 });
    try {
      const report = new Report(flag(p, "json"), bundles.length > 1);
      await rotateAll(ctx, bundles, key, encrypter, flag(p, "no-date"), report);
      return report.code();
    } finally {
      encrypter.wipe();
    }
  } finally {
    wipeKey(key);
  }
}
