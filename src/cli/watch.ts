import * as fs from "node:fs";
import * as path from "node:path";
import { Encrypter } from "../api/encrypter.js";
import type { Context } from "../bundle/context.js";
import { flag, parse, str, strs, UsageError } from "./args.js";
import { help, printable, publicKeyArgs, say, warn } from "./io.js";
import type { FileReport } from "./watch-files.js";
import { Watcher } from "./watch-loop.js";
import { onNetworkFolder, writeOpenCheck } from "./watch-platform.js";

export const WATCH_HELP = `usage: opensslwrap watch DIR --pubkey PEM [--pubkey PEM ...] [options]

Watches DIR and encrypts each file that appears there to FILE.enc, as 'encrypt' does (the bundle
is read back and verified before FILE is overwritten and removed), once the file is complete:
unchanged for --settle seconds and, on Linux, open for writing by no process. Files already in
DIR go first. Left alone: hidden files (opensslwrap's temp files among them), *.enc, symbolic
links, Thumbs.db, desktop.ini and ~$ lock files, and files another watcher has claimed (of two
watchers on one folder, one encrypts each file).

  --pubkey PEM            recipient's public key (repeat for several recipients); a file of
                          several PEM keys, or a folder of *.pub.pem, as for encrypt
  --pattern GLOB          only files whose name matches GLOB, e.g. '*.csv' (repeat for several;
                          case-insensitive; a GLOB with a / matches the path under DIR: 'P*/**/*.edf')
  --recursive             also watch the folders under DIR
  --settle SECONDS        how long a file must stay unchanged to count as complete (default 2)
  --keep                  keep the originals (default: removed once the bundle is verified)
  --once                  encrypt what is in DIR now (waiting for each file to settle), then exit;
                          exit status 0 if all succeeded, 1 if any failed
  --poll                  list DIR every second instead of relying on change events: for network
                          folders (automatic for \\\\server\\share paths and, on Linux, NFS, SMB
                          and FUSE mounts; give it for a mapped drive letter or a share on macOS)
  --json                  one JSON object per line for each file

Each file gives one line: time, name, size and bundle (stdout); a failure (a full disk, a file
that vanished, ...) is one line on stderr, and the watcher goes on: it tries that file again when
it changes, or after a back-off. SIGINT (Ctrl-C) or SIGTERM stops once the files in progress are
done; a second one stops at once. What a killed run left is finished by the next one: each file
is encrypted once, and no original is removed unless its bundle was verified (README: watch).`;

/** --settle: seconds, 0 to a day. */
function settleMs(p: ReturnType<typeof parse>): number {
  const s = Number(str(p, "settle") ?? "2");
  if (!Number.isFinite(s) || s < 0 || s > 86_400) throw new UsageError("--settle is a number of seconds from 0 to 86400");
  return s * 1000;
}

/** The folder to watch, as given (reports name files under it the same way); refuses anything but a readable folder. */
function folder(dir: string | undefined, extra: string[]): string {
  if (dir === undefined || extra.length > 0) throw new UsageError("watch takes exactly one DIR");
  try {
    if (!fs.statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`);
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot watch ${dir}: ${(e as Error).message.split("\n")[0] ?? ""}`);
  }
  const root = path.normalize(dir);
  return root.length > 1 && root.endsWith(path.sep) ? root.slice(0, -1) : root;
}

export async function watchVerb(ctx: Context, args: string[]): Promise<number> {
  const p = parse(args, {
    pubkey: { type: "string", multiple: true },
    pattern: { type: "string", multiple: true },
    recursive: { type: "boolean" },
    settle: { type: "string" },
    keep: { type: "boolean" },
    once: { type: "boolean" },
    poll: { type: "boolean" },
    json: { type: "boolean" },
  });
  if (flag(p, "help")) return help(WATCH_HELP);
  const [dir, ...extra] = p.positionals;
  const root = folder(dir, extra);
  const pubkeys = strs(p, "pubkey");
  if (pubkeys.length === 0) throw new UsageError("--pubkey is required");
  const patterns = strs(p, "pattern");
  if (patterns.some((g) => g.length === 0)) throw new UsageError("--pattern must not be empty");
  const settle = settleMs(p);
  const asJson = flag(p, "json");
  const once = flag(p, "once");
  // Parsed and checked once, here: a bad key stops the start, not every file.
  const { recipients } = await Encrypter.create(ctx, { publicKeys: publicKeyArgs(pubkeys), onWarning: warn });

  const note = (line: string) => process.stderr.write(`opensslwrap: ${line}\n`);
  const poll = flag(p, "poll") || onNetworkFolder(root);
  if (poll && !flag(p, "poll")) note(`${root} is on a network filesystem: listing it every second (--poll)`);
  if (writeOpenCheck === undefined) note(`on ${process.platform} whether a program still has a file open for writing cannot be told: a file counts as complete once unchanged for ${settle / 1000} s (--settle)`);
  let encrypted = 0;
  const report = (r: FileReport) => {
    const time = new Date().toISOString();
    if (r.bundle !== undefined) encrypted++;
    if (asJson) return say(printable(JSON.stringify({ time, ...r })));
    for (const w of r.warnings) warn(w);
    if (r.error !== undefined) note(`${time} ${r.file}: ${r.error}`);
    else if (r.bundle !== undefined) say(`${time} ${r.file} ${r.size ?? "?"} bytes -> ${r.bundle}${r.kept === true ? " (kept)" : ""}${r.recovered === true ? " (finished after an interrupted run)" : ""}`);
  };
  const watcher = new Watcher({ ctx, root, patterns, recursive: flag(p, "recursive"), settleMs: settle, keep: flag(p, "keep"), once, poll, publicKeys: recipients, writeOpen: writeOpenCheck, onReport: report, onProblem: (m) => note(`watching ${root}: ${m}`) });

  let signals = 0;
  const onSignal = () => {
    if (signals++ === 0) return watcher.stop();
    note("stopped at once: the next run finishes the files that were in progress");
    process.exit(1);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let failed: number;
  try {
    failed = await watcher.run((files) => {
      if (!once) note(`watching ${root}${flag(p, "recursive") ? " and its folders" : ""} (${files} files there to look at); Ctrl-C stops`);
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (!asJson) note(`${once ? "" : "stopped: "}${encrypted} file(s) encrypted, ${failed} failure(s)`);
  const code = once && failed > 0 ? 1 : 0;
  // chokidar's close() can leave an fs.watch handle open when it comes while files are still being
  // added (seen under load: a stopped watcher lived on, its only handle an FSEventWrap). Nothing is
  // left to do: if the process has not ended by itself a second from now, it ends then.
  setTimeout(() => process.exit(code), 1000).unref();
  return code;
}
