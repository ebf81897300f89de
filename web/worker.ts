/**
 * The engine worker: compiles the checked OpenSSL wasm once and runs the page's requests one at
 * a time, off the page's thread, reading the user's files in place and writing outputs to the
 * browser's private storage. On a cross-origin isolated page the context also starts the MAC
 * worker (the HMAC of big files runs there). Protocol: web/protocol.ts.
 */
import { selftest } from "../src/api/selftest.js";
import { errorLine } from "../src/bundle/errors.js";
import { readPublicKey } from "../src/bundle/keys.js";
import { browserContext } from "../src/runtime/browser/context.js";
import { signatureBytes } from "../src/api/keys.js";
import { readSmall } from "../src/runtime/browser/files.js";
import { outputStorage, releaseOutput } from "../src/runtime/browser/opfs.js";
import { readMetaBlob, signBlob, verifyBlob } from "../src/verbs/browser.js";
import type { Abortable } from "../src/verbs/browser.js";
import type { ProgressMessage, Request, Response, Result } from "./protocol.js";
import { failureLine, type RunEnv } from "./worker-files.js";
import { decryptRun, encryptRun, genkeysRun, need, privateKey, RequestError, rotateRun, wipe } from "./worker-runs.js";

/** The worker is the page's entry point to the engine: it makes the context its verbs run on. */
const ctx = browserContext();

interface WorkerScope {
  postMessage(message: Response): void;
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  crossOriginIsolated?: boolean;
}

const scope = globalThis as unknown as WorkerScope;
const post = (message: Response): void => scope.postMessage(message);

/** Requests the page cancelled (by message); on an isolated page also by the shared cell, seen mid-command. */
const cancelled = new Set<number>();
const cancelCell = scope.crossOriginIsolated === true ? new SharedArrayBuffer(4) : undefined;
const cell = cancelCell === undefined ? undefined : new Int32Array(cancelCell);

function signalFor(id: number): Abortable {
  return {
    get aborted() {
      return cancelled.has(id) || (cell !== undefined && Atomics.load(cell, 0) === id);
    },
    reason: new DOMException("cancelled", "AbortError"),
  };
}

/** Progress messages of one request, at most every 50 ms per phase and file (and always the last). */
function progressFor(id: number): (p: ProgressMessage) => void {
  let last = 0;
  let lastKey = "";
  return (p) => {
    const now = performance.now();
    const key = `${p.phase}\0${p.file}`;
    if (key === lastKey && p.done < p.total && now - last < 50) return;
    last = now;
    lastKey = key;
    post({ id, progress: p });
  };
}

const base64 = (bytes: Uint8Array): string => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

/** Printable text (and white space) only: what a raw signature almost never is. */
const isText = (bytes: Uint8Array): boolean => bytes.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);

/**
 * A one-line refusal for a text file given as the signature (not the base64 text of one): it is
 * not a signature at all. Other files of the wrong length get the verdict's reason.
 */
async function checkedSignature(signature: File, publicKey: File): Promise<void> {
  const raw = readSmall(signature, "signature");
  const bytes = signatureBytes(raw);
  if (bytes !== raw || !isText(raw)) return;
  const key = await readPublicKey(ctx, readSmall(publicKey, "public key"));
  if (bytes.length !== key.bits / 8) throw new RequestError(`${signature.name} is not a signature (an RSA-${key.bits} signature is ${key.bits / 8} bytes, as base64 text or raw; this file gives ${bytes.length})`);
}

async function run(r: Request, env: RunEnv): Promise<Result> {
  switch (r.op) {
    case "encrypt":
      return encryptRun(ctx, r, env);
    case "decrypt":
      return decryptRun(ctx, r, env);
    case "rotate":
      return rotateRun(ctx, r, env);
    case "genkeys":
      return genkeysRun(ctx, r);
    case "info": {
      const [bundle] = need(r.files, "a bundle (.enc)");
      try {
        return { op: "info", info: await readMetaBlob(ctx, bundle) };
      } catch (e) {
        throw new RequestError(failureLine(e, bundle));
      }
    }
    case "sign": {
      const [file] = need(r.files, "the file to sign");
      const key = privateKey(r);
      try {
        const sig = await signBlob(ctx, file, key);
        const name = `${file.name === "" ? "file" : file.name}.sig`;
        return { op: "sign", outputs: [{ name, file: new File([`${base64(sig)}\n`], name, { type: "text/plain" }), id: "" }] };
      } finally {
        wipe(key);
      }
    }
    case "verify": {
      const [file, signature] = need(r.files, "the file and its signature");
      if (signature === undefined) throw new RequestError("choose the signature (.sig) file");
      const [publicKey] = need(r.keys, "the signer's public key file");
      await checkedSignature(signature, publicKey);
      const v = await verifyBlob(ctx, file, publicKey, signature);
      return { op: "verify", verified: v.ok, reason: v.reason };
    }
    case "selftest": {
      const lines: string[] = [];
      const ok = await selftest(ctx, (line) => lines.push(line));
      return { op: "selftest", ok, lines };
    }
    case "release":
      for (const id of r.ids ?? []) await releaseOutput(id);
      return { op: "release" };
    case "cancel":
      return { op: "cancel" };
  }
}

const ready = (async () => {
  await ctx.openssl.module();
  const [openssl, storage, threads] = await Promise.all([ctx.openssl.version(), outputStorage(), ctx.threads]);
  post({ id: 0, ready: { openssl, storage, threads, ...(cancelCell === undefined ? {} : { cancelCell }) } });
})().catch((e: unknown) => post({ id: 0, error: { name: e instanceof Error ? e.name : "Error", message: errorLine(e) } }));

let queue: Promise<unknown> = ready;
scope.onmessage = (event) => {
  const r = event.data;
  // A cancel is handled at once, between the running request's steps, not queued behind it.
  if (r.op === "cancel") {
    if (r.target !== undefined) cancelled.add(r.target);
    return post({ id: r.id, result: { op: "cancel" } });
  }
  queue = queue.then(async () => {
    const env: RunEnv = { signal: signalFor(r.id), progress: progressFor(r.id) };
    try {
      if (env.signal.aborted) throw env.signal.reason;
      post({ id: r.id, result: await run(r, env) });
    } catch (e) {
      post({ id: r.id, error: { name: e instanceof Error ? e.name : "Error", message: errorLine(e) } });
    } finally {
      cancelled.delete(r.id);
    }
  });
};
