import { fingerprint, splitPems } from "../api/keys.js";
import { readKeys, type SignatureCheck } from "../api/signatures.js";
import type { Context } from "../bundle/context.js";
import { errorLine, PassphraseError } from "../bundle/errors.js";
import { generateKeys, readMeta } from "../verbs/node.js";
import { flag, need, parse, str, strs, UsageError } from "./args.js";
import { help, json, keyFiles, printable, privateKey, publicKeyArgs, readFile, say, warn, wipeKey } from "./io.js";
import { passphrase } from "./passphrase.js";

export const GENKEYS_HELP = `usage: opensslwrap genkeys --out-dir DIR [--name NAME] [--bits 4096] [--passphrase-file F | --no-passphrase]

Writes DIR/NAME.pub.pem (share it) and DIR/NAME.priv.pem (mode 0600, PKCS#8, AES-256 encrypted
with the passphrase). Keep the private key off the testing-room machine, and back it up: without
it, nobody can decrypt the data.

The passphrase comes from --passphrase-file F (its first line), OPENSSLWRAP_PASSPHRASE, or is
typed twice at a hidden prompt on a terminal. An empty one is refused (--no-passphrase makes an
unprotected key); one under 12 characters gets a warning. Nothing is written if it fails.`;

export async function genkeysVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { "out-dir": { type: "string" }, name: { type: "string" }, bits: { type: "string" }, "passphrase-file": { type: "string" }, "no-passphrase": { type: "boolean" } });
  if (flag(p, "help")) return help(GENKEYS_HELP);
  const bits = Number(str(p, "bits") ?? "4096");
  if (!Number.isInteger(bits) || bits < 2048 || bits > 16384) throw new UsageError("--bits must be a whole number from 2048 to 16384");
  if (flag(p, "no-passphrase") && str(p, "passphrase-file") !== undefined) throw new UsageError("--passphrase-file and --no-passphrase exclude each other");
  const outDir = need(str(p, "out-dir"), "--out-dir");
  const pass = flag(p, "no-passphrase") ? undefined : await passphrase(str(p, "passphrase-file"), "passphrase for the new private key: ", true, "the same passphrase again: ");
  if (pass === undefined && !flag(p, "no-passphrase")) throw new UsageError("give --passphrase-file F (or OPENSSLWRAP_PASSPHRASE), or --no-passphrase");
  if (pass?.length === 0) throw new PassphraseError("empty passphrase: give one, or --no-passphrase for an unprotected private key");
  try {
    const r = await generateKeys(ctx, { outDir, name: str(p, "name"), bits, passphrase: pass, onWarning: warn });
    say(r.publicPath);
    say(r.privatePath);
  } finally {
    pass?.fill(0);
  }
  return 0;
}

export const INFO_HELP = `usage: opensslwrap info BUNDLE [--signer PEM ...] [--json]

Shows a bundle's meta-data, and its recipients and signers by fingerprint (SHA256:<hex>, as
'opensslwrap fingerprint' prints them); no key needed. A signer is only listed, not checked,
unless --signer gives its public key (repeatable; a file of several keys or a folder of
*.pub.pem): each such key's signature is then checked and reported verified or NOT verified.
Exit 1 if a --signer key did not sign the bundle.`;

export async function infoVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { json: { type: "boolean" }, signer: { type: "string", multiple: true } });
  if (flag(p, "help")) return help(INFO_HELP);
  const [bundle, ...extra] = p.positionals;
  if (bundle === undefined || extra.length > 0) throw new UsageError("info takes exactly one BUNDLE");
  const signers = await readKeys(ctx, publicKeyArgs(strs(p, "signer"), "signer's public key"));
  const info = await readMeta(ctx, bundle, { signers });
  const checks = info.signatures ?? [];
  if (flag(p, "json")) json(info);
  // Meta-data come from whoever made the bundle: shown through printable(), never raw.
  else if (info.format === "legacy") {
    say(`format: ${info.info.layout} (legacy, read-only)`);
    if (info.info.originalName !== undefined) say(printable(`original name: ${info.info.originalName}`));
    signerLines([], checks).forEach(say);
    say(printable(info.info.metaText.trimEnd()) || "(no meta-data)");
  } else {
    say(`format: opensslwrap bundle v2 (aes-256-ctr, hmac-sha256, rsa-oaep-sha256)`);
    for (const r of info.recipients) say(`recipient: SHA256:${r}`);
    signerLines(info.signers, checks).forEach(say);
    say(printable(JSON.stringify(info.meta, null, 2)));
  }
  const unsigned = checks.filter((c) => !c.verified);
  for (const c of unsigned) process.stderr.write(`opensslwrap: not signed by SHA256:${c.fingerprint}: ${c.reason ?? "not verified"}\n`);
  return unsigned.length > 0 ? 1 : 0;
}

/**
 * A line per signer the bundle names, and per key checked. Signatures are not covered by the tag:
 * a signer not checked says so, so that it is not taken for a verified one.
 */
function signerLines(listed: readonly string[], checks: readonly SignatureCheck[]): string[] {
  const verdict = (c: SignatureCheck) => (c.verified ? "verified" : `NOT verified (${c.reason ?? ""})`);
  return [
    ...listed.map((f) => {
      const c = checks.find((x) => x.fingerprint === f);
      return `signer: SHA256:${f} ${c === undefined ? "(signature not checked: --signer PEM checks it)" : verdict(c)}`;
    }),
    ...checks.filter((c) => !listed.includes(c.fingerprint)).map((c) => `signer: SHA256:${c.fingerprint} ${verdict(c)}`),
  ];
}

export const FINGERPRINT_HELP = `usage: opensslwrap fingerprint KEY... [--passphrase-file F]

Prints "SHA256:<hex>  KEY" for each key: the SHA-256 of its DER public key, the value bundles
record (docs/FORMAT.md) and 'info' shows. KEY is a public key file (it may hold several keys,
one line each), a folder (its *.pub.pem files), or a private key (its passphrase from
--passphrase-file F, OPENSSLWRAP_PASSPHRASE or a prompt, as other commands ask for it).
Compare a public key's fingerprint with its holder's, over a channel you trust, before
encrypting for it. Exit 1 if a key could not be read (the others are still printed).`;

export async function fingerprintVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, { "passphrase-file": { type: "string" } });
  if (flag(p, "help")) return help(FINGERPRINT_HELP);
  if (p.positionals.length === 0) throw new UsageError("no KEY given");
  const files = p.positionals.flatMap(keyFiles);
  let failed = 0;
  for (const file of files) {
    const bytes = readFile(file, "key");
    try {
      if (new TextDecoder("latin1").decode(bytes).includes("PRIVATE KEY-----")) {
        const key = await privateKey(file, str(p, "passphrase-file"));
        try {
          say(`SHA256:${await fingerprint(ctx, key)}  ${file}`);
        } finally {
          wipeKey(key);
        }
      } else for (const pem of splitPems(bytes)) say(`SHA256:${await fingerprint(ctx, pem)}  ${file}`);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      failed++;
      process.stderr.write(`opensslwrap: ${file}: ${errorLine(e)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}
