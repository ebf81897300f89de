#!/usr/bin/env node
import "../index.js";
import { runHostOpenSSL } from "../runtime/node-passthrough.js";

const USAGE = `usage: opensslwrap <command> [options]

commands:
  openssl ARGS...   run the bundled OpenSSL 3.5 command line (WebAssembly) on this folder

Run 'opensslwrap <command> --help' for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case "openssl":
      return runHostOpenSSL(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return verb === undefined ? 2 : 0;
    default:
      process.stderr.write(`opensslwrap: unknown command '${verb}'\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`opensslwrap: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
