/**
 * The engine worker's runs over several files (encrypt, decrypt, rotate): each file in turn, the
 * failures of one file reported without losing the others, and one zip of all outputs when
 * several come out. A cancelled run keeps nothing.
 */
import { errorLine, FormatError } from "../src/bundle/errors.js";
import { isLegacySource } from "../src/bundle/legacy.js";
import { BlobFile } from "../src/runtime/browser/files.js";
import { releaseOutput } from "../src/runtime/browser/opfs.js";
import type { Abortable, BrowserOutput, Progress } from "../src/verbs/browser.js";
import type { Output, Outputs, ProgressMessage } from "./protocol.js";
import { crc32, storedZip, uniqueNames } from "./zip.js";

/** What a run is given besides its request: its stop signal and where its progress goes. */
export interface RunEnv {
  signal: Abortable;
  /** Progress of `file` (throttled by the caller). */
  progress(p: ProgressMessage): void;
}

const isAbort = (e: unknown): boolean => e instanceof DOMException && e.name === "AbortError";

export function stopIfCancelled(signal: Abortable): void {
  if (signal.aborted) throw signal.reason ?? new DOMException("cancelled", "AbortError");
}

/** Whether `file` begins as a bundle does: a tar archive whose first member is header.txt, or a legacy gzip bundle. */
function looksLikeBundle(file: Blob): boolean {
  const head = new BlobFile(file.slice(0, 512));
  try {
    const first = new Uint8Array(512);
    const n = head.read(first, 0);
    return isLegacySource(head) || (n === 512 && new TextDecoder().decode(first.subarray(0, 11)) === "header.txt\0");
  } finally {
    head.close();
  }
}

/** One line for a file's failure; a file that is no bundle at all is called that, whatever the tar reader found first. */
export function failureLine(e: unknown, bundle?: File): string {
  if (bundle !== undefined && e instanceof FormatError && !looksLikeBundle(bundle)) return `${bundle.name} is not an opensslwrap bundle`;
  return errorLine(e);
}

/**
 * Runs `body` on each file in turn. A file that fails is listed with its one line and the others
 * go on. A cancellation removes every output made so far and is thrown.
 */
export async function eachFile(files: readonly File[], env: RunEnv, bundles: boolean, body: (file: File, onProgress: Progress) => Promise<BrowserOutput>): Promise<Omit<Outputs, "zip">> {
  const outputs: Output[] = [];
  const failed: Outputs["failed"] = [];
  try {
    for (const file of files) {
      stopIfCancelled(env.signal);
      try {
        const o = await body(file, (phase, done, total) => env.progress({ phase, file: file.name, done, total }));
        outputs.push({ name: o.name, file: o.file, id: o.id });
      } catch (e) {
        if (isAbort(e)) throw e;
        failed.push({ file: file.name, message: failureLine(e, bundles ? file : undefined) });
      }
    }
  } catch (e) {
    for (const o of outputs) await releaseOutput(o.id);
    throw e;
  }
  return { outputs, failed };
}

/** The CRC-32 of a finished output, read in 4 MiB pieces. */
function crcOf(file: File, signal: Abortable, progress: (done: number) => void): number {
  const src = new BlobFile(file, signal);
  const buf = new Uint8Array(Math.min(4 << 20, Math.max(1, file.size)));
  let crc = 0;
  try {
    for (let at = 0, n = src.read(buf, 0); n > 0; at += n, n = src.read(buf, at)) {
      crc = crc32(buf.subarray(0, n), crc);
      progress(at + n);
    }
    return crc;
  } finally {
    src.close();
  }
}

/**
 * `outputs`, and where there are several, one stored zip of them named `NAME-N-files.zip`, made of
 * the outputs themselves (only their CRC-32s are computed: one read of each).
 */
export function packed(r: Omit<Outputs, "zip">, name: string, env: RunEnv): Outputs {
  if (r.outputs.length < 2) return r;
  const names = uniqueNames(r.outputs.map((o) => o.name));
  const total = r.outputs.reduce((n, o) => n + o.file.size, 0);
  let before = 0;
  const entries = r.outputs.map((o, i) => {
    const crc = crcOf(o.file, env.signal, (done) => env.progress({ phase: "packing", file: o.name, done: before + done, total }));
    before += o.file.size;
    return { name: names[i] ?? o.name, size: o.file.size, crc, data: o.file };
  });
  const zipName = `${name}-${r.outputs.length}-files.zip`;
  return { ...r, zip: { name: zipName, file: new File([storedZip(entries)], zipName, { type: "application/zip" }), id: "" } };
}
