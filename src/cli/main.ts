#!/usr/bin/env node
import { selftest } from "../api/selftest.js";
import type { Context } from "../bundle/context.js";
import { errorLine, OpensslwrapError } from "../bundle/errors.js";
import { OpenSSLError } from "../openssl/index.js";
import { nodeContext } from "../runtime/node/context.js";
import { runHostOpenSSL } from "../runtime/node/passthrough.js";
import { TOOL_VERSION } from "../version.js";
import { UsageError } from "./args.js";
import { help, say } from "./io.js";
import { serveVerb } from "./serve.js";
import { decryptVerb, rotateVerb } from "./verbs-decrypt.js";
import { encryptVerb } from "./verbs-files.js";
import { fingerprintVerb, genkeysVerb, infoVerb } from "./verbs-keys.js";
import { signVerb, verifyVerb } from "./verbs-sign.js";

const USAGE = `usage: opensslwrap <command> [options]

Protects lab data files with public-key encryption (AES-256 + RSA), done by a pinned
OpenSSL 3.5.7 compiled to WebAssembly.

commands:
  genkeys      make an RSA key pair
  encrypt      encrypt files for the holders of private keys (removes the original)
  decrypt      decrypt bundles (also 2012 opensslwrap and pyFileSec bundles)
  rotate       re-encrypt a bundle for new keys
  sign         sign a file
  verify       verify a file's signature, or a bundle's own signatures
  info         show a bundle's meta-data (and check its signers with --signer)
  fingerprint  print keys' fingerprints (SHA256:<hex>), to compare with their holders'
  selftest     known-answer and round-trip checks on this machine
  openssl      run the bundled OpenSSL command line on this folder
  serve        serve the browser page: encrypt, decrypt, info, sign, verify
  watch        encrypt the files that appear in a folder, once each is complete

Run 'opensslwrap <command> --help' for a command's options.
Exit codes: 0 success, 1 refused or failed, 2 usage error.`;

const VERBS: Record<string, (ctx: Context, args: string[]) => Promise<number>> = {
  genkeys: genkeysVerb,
  encrypt: encryptVerb,
  decrypt: decryptVerb,
  rotate: rotateVerb,
  sign: signVerb,
  verify: verifyVerb,
  info: infoVerb,
  fingerprint: fingerprintVerb,
  selftest: async (ctx, args) => (args.includes("--help") || args.includes("-h") ? help("usage: opensslwrap selftest\n\nRuns known-answer and round-trip checks; ends with 'test SUCCESS, reporting complete'.") : (await selftest(ctx, say)) ? 0 : 1),
  openssl: (ctx, args) => runHostOpenSSL(ctx.openssl, args),
  serve: (_ctx, args) => serveVerb(args),
  // Loaded when used: chokidar costs every other command about 25 ms of start-up.
  watch: async (ctx, args) => (await import("./watch.js")).watchVerb(ctx, args),
};

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (verb === "help" || verb === "--help" || verb === "-h") return help(USAGE);
  if (verb === "--version") return help(`opensslwrap ${TOOL_VERSION}`);
  const run = VERBS[verb];
  if (run === undefined) throw new UsageError(`unknown command '${verb}' (see opensslwrap --help)`);
  // The command line is an entry point: it makes the Node context its verbs run on.
  return run(nodeContext(), rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`opensslwrap: ${errorLine(e)}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
    if (!(e instanceof UsageError || e instanceof OpensslwrapError || e instanceof OpenSSLError) && process.env["OPENSSLWRAP_DEBUG"] !== undefined) console.error(e);
  },
);
