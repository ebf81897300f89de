import * as fs from "node:fs";
import type { Context } from "../bundle/context.js";
import { generateKeys, readMeta, signPath, verifyPath } from "../verbs/node.js";
import { flag, need, parse, str, UsageError } from "./args.js";
import { fileArgs } from "./glob.js";
import { help, json, printable, privateKey, readFile, say, warn, wipeKey } from "./io.js";
import { passphrase } from "./passphrase.js";

export const GENKEYS_HELP = `usage: opensslwrap genkeys --out-dir DIR [--name NAME] [--bits 4096] [--passphrase-file F | --no-passphrase]

Writes DIR/NAME.pub.pem (share it) and DIR/NAME.priv.pem (mode 0600, PKCS#8, AES-256 encrypted
with the passphrase). Keep the private key off the testing-room machine, and back it up: without
it, nobody can decrypt the data.`;

export async function genkeysVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { "out-dir": { type: "string" }, name: { type: "string" }, bits: { type: "string" }, "passphrase-file": { type: "string" }, "no-passphrase": { type: "boolean" } });
  if (flag(p, "help")) return help(GENKEYS_HELP);
  const bits = Number(str(p, "bits") ?? "4096");
  if (!Number.isInteger(bits) || bits < 2048 || bits > 16384) throw new UsageError("--bits must be a whole number from 2048 to 16384");
  if (flag(p, "no-passphrase") && str(p, "passphrase-file") !== undefined) throw new UsageError("--passphrase-file and --no-passphrase exclude each other");
  const pass = flag(p, "no-passphrase") ? undefined : await passphrase(str(p, "passphrase-file"), "passphrase for the new private key: ", true);
  if (pass === undefined && !flag(p, "no-passphrase")) throw new UsageError("give --passphrase-file F (or OPENSSLWRAP_PASSPHRASE), or --no-passphrase");
  try {
    const r = await generateKeys(ctx, { outDir: need(str(p, "out-dir"), "--out-dir"), name: str(p, "name"), bits, passphrase: pass, onWarning: warn });
    say(r.publicPath);
    say(r.privatePath);
  } finally {
    pass?.fill(0);
  }
  return 0;
}

export const SIGN_HELP = `usage: opensslwrap sign FILE --privkey PEM [--passphrase-file F] [--out SIGFILE]

Prints (or writes to SIGFILE) the base64 RSA-PSS SHA-256 signature of FILE. Check it without
opensslwrap: base64 -d SIG > sig.bin; openssl dgst -sha256 -sigopt rsa_padding_mode:pss
-sigopt rsa_pss_saltlen:digest -verify pub.pem -signature sig.bin FILE`;

export async function signVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { privkey: { type: "string" }, "passphrase-file": { type: "string" }, out: { type: "string" } });
  if (flag(p, "help")) return help(SIGN_HELP);
  const [file, ...extra] = fileArgs(p.positionals);
  if (file === undefined || extra.length > 0) throw new UsageError("sign takes exactly one FILE");
  const key = await privateKey(need(str(p, "privkey"), "--privkey"), str(p, "passphrase-file"));
  try {
    const sig = Buffer.from(await signPath(ctx, file, key)).toString("base64");
    const out = str(p, "out");
    if (out === undefined) say(sig);
    else fs.writeFileSync(out, `${sig}\n`, { flag: "wx", mode: 0o644 });
  } finally {
    wipeKey(key);
  }
  return 0;
}

export const VERIFY_HELP = `usage: opensslwrap verify FILE --pubkey PEM --sig SIG

SIG is base64 text or a file holding it (or a binary signature). Accepts RSA-PSS and PKCS#1 v1.5
SHA-256 signatures. Exit 0: verified; 1: not verified.`;

function signatureBytes(sig: string): Uint8Array {
  const raw = fs.existsSync(sig) ? fs.readFileSync(sig) : Buffer.from(sig);
  const text = raw.toString("latin1").trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) return Buffer.from(text.replace(/\s+/g, ""), "base64");
  return raw;
}

export async function verifyVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { pubkey: { type: "string" }, sig: { type: "string" } });
  if (flag(p, "help")) return help(VERIFY_HELP);
  const [file, ...extra] = p.positionals;
  if (file === undefined || extra.length > 0) throw new UsageError("verify takes exactly one FILE");
  const ok = await verifyPath(ctx, file, readFile(need(str(p, "pubkey"), "--pubkey"), "public key"), signatureBytes(need(str(p, "sig"), "--sig")));
  if (ok) {
    say("verified");
    return 0;
  }
  process.stderr.write("opensslwrap: signature NOT verified\n");
  return 1;
}

export const INFO_HELP = `usage: opensslwrap info BUNDLE [--json]

Shows a bundle's meta-data and recipients (no key needed).`;

export async function infoVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { json: { type: "boolean" } });
  if (flag(p, "help")) return help(INFO_HELP);
  const [bundle, ...extra] = p.positionals;
  if (bundle === undefined || extra.length > 0) throw new UsageError("info takes exactly one BUNDLE");
  const info = await readMeta(ctx, bundle);
  if (flag(p, "json")) {
    json(info);
    return 0;
  }
  // Meta-data come from whoever made the bundle: shown through printable(), never raw.
  if (info.format === "legacy") {
    say(`format: ${info.info.layout} (legacy, read-only)`);
    if (info.info.originalName !== undefined) say(printable(`original name: ${info.info.originalName}`));
    say(printable(info.info.metaText.trimEnd()) || "(no meta-data)");
    return 0;
  }
  say(`format: opensslwrap bundle v2 (aes-256-ctr, hmac-sha256, rsa-oaep-sha256)`);
  for (const r of info.recipients) say(`recipient: ${r}`);
  // Signatures are not covered by the tag and nothing here checks them: say so, so that a listed
  // signer is not taken for a verified one (docs/FORMAT.md shows the check with openssl).
  for (const s of info.signers) say(`signer: ${s} (signature not verified)`);
  say(printable(JSON.stringify(info.meta, null, 2)));
  return 0;
}
