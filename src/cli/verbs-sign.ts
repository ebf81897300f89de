import * as fs from "node:fs";
import * as path from "node:path";
import { signatureBytes } from "../api/keys.js";
import { readKeys } from "../api/signatures.js";
import type { Context } from "../bundle/context.js";
import { FormatError } from "../bundle/errors.js";
import { viaTemp } from "../runtime/node/temp-output.js";
import { readMeta, signPath, verifyPath } from "../verbs/node.js";
import { flag, need, parse, str, strs, UsageError } from "./args.js";
import { fileArgs } from "./glob.js";
import { help, privateKey, publicKeyArgs, readFile, say, warn, wipeKey } from "./io.js";

export const SIGN_HELP = `usage: opensslwrap sign FILE --privkey PEM [--passphrase-file F] [--out SIGFILE [--force]]

Prints (or writes to SIGFILE) the base64 RSA-PSS SHA-256 signature of FILE. An existing SIGFILE
is not replaced without --force. Check it without opensslwrap: base64 -d SIG > sig.bin;
openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -verify pub.pem
-signature sig.bin FILE`;

export async function signVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { privkey: { type: "string" }, "passphrase-file": { type: "string" }, out: { type: "string" }, force: { type: "boolean" } });
  if (flag(p, "help")) return help(SIGN_HELP);
  const [file, ...extra] = fileArgs(p.positionals);
  if (file === undefined || extra.length > 0) throw new UsageError("sign takes exactly one FILE");
  const out = str(p, "out");
  if (out !== undefined && path.resolve(out) === path.resolve(file)) throw new UsageError("--out names FILE itself");
  const privkey = need(str(p, "privkey"), "--privkey");
  const signature = async (): Promise<Uint8Array> => {
    const key = await privateKey(privkey, str(p, "passphrase-file"));
    try {
      return new TextEncoder().encode(`${Buffer.from(await signPath(ctx, file, key)).toString("base64")}\n`);
    } finally {
      wipeKey(key);
    }
  };
  if (out === undefined) process.stdout.write(await signature());
  else {
    // As every output: an existing SIGFILE refused first, then written under a temporary name and
    // renamed into place when complete. A signature is public: 0644.
    await viaTemp(out, flag(p, "force"), async (t) => t.storage.write(await signature(), 0), warn);
    fs.chmodSync(out, 0o644);
  }
  return 0;
}

export const VERIFY_HELP = `usage: opensslwrap verify FILE --pubkey PEM --sig SIGFILE
       opensslwrap verify BUNDLE --pubkey PEM [--pubkey PEM ...]

With --sig: whether SIGFILE holds PEM's signature of FILE (RSA-PSS or PKCS#1 v1.5, SHA-256).
SIGFILE is always a file: base64 text, as 'sign' writes it, or the raw signature. A signature
is exactly as long as the key's modulus (256 bytes for RSA-2048, 512 for RSA-4096); any other
length, an empty one included, is not verified.

Without --sig: whether BUNDLE (an opensslwrap bundle) carries a valid signature by every PEM
(encrypt --sign-with), over its header, wrapped keys and payload.

A PEM file may hold several keys, and a folder stands for its *.pub.pem files.
Exit 0: verified; 1: not verified (the reason on stderr); 2: usage error (e.g. no SIGFILE).`;

export async function verifyVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { pubkey: { type: "string", multiple: true }, sig: { type: "string" } });
  if (flag(p, "help")) return help(VERIFY_HELP);
  const [file, ...extra] = p.positionals;
  if (file === undefined || extra.length > 0) throw new UsageError("verify takes exactly one FILE");
  const keys = publicKeyArgs(strs(p, "pubkey"));
  if (keys.length === 0) throw new UsageError("--pubkey is required");
  const sig = str(p, "sig");
  if (sig === undefined) return verifyBundle(ctx, file, keys);
  const [key, ...more] = keys;
  if (key === undefined || more.length > 0) throw new UsageError(`--pubkey names ${keys.length} keys: a file's signature is checked against one`);
  const v = await verifyPath(ctx, file, key, signatureBytes(signatureFile(sig)));
  if (!v.ok) return notVerified(v.reason);
  say("verified");
  return 0;
}

/** --sig is always a file; a missing one is a usage error naming it (base64 typed there is not read as a signature). */
function signatureFile(p: string): Uint8Array {
  if (!fs.existsSync(p)) throw new UsageError(`--sig ${p.length > 48 ? `${p.slice(0, 40)}...` : p}: no such file (--sig takes a file: base64 text, or the raw signature)`);
  return readFile(p, "signature file");
}

function notVerified(reason: string | undefined): number {
  process.stderr.write(`opensslwrap: signature NOT verified${reason === undefined ? "" : `: ${reason}`}\n`);
  return 1;
}

/** `verify BUNDLE` without --sig: the bundle's own signatures, one line for each key given. */
async function verifyBundle(ctx: Context, bundle: string, keys: Uint8Array[]): Promise<number> {
  const signers = await readKeys(ctx, keys);
  const info = await readMeta(ctx, bundle, { signers }).catch((e: unknown) => {
    if (e instanceof FormatError && e.message.startsWith("not an opensslwrap bundle")) throw new UsageError(`${bundle}: ${e.message}; to check a file's signature, give --sig SIGFILE`);
    throw e;
  });
  let failed = 0;
  for (const c of info.signatures ?? []) {
    if (c.verified) say(`verified: signed by SHA256:${c.fingerprint}`);
    else failed += notVerified(`not signed by SHA256:${c.fingerprint}: ${c.reason ?? ""}`);
  }
  return failed > 0 ? 1 : 0;
}
