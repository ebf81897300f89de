/**
 * The engine worker: compiles the checked OpenSSL wasm once and runs the page's requests one at
 * a time, off the page's thread, reading the user's files in place and writing outputs to the
 * browser's private storage. Protocol: web/protocol.ts.
 */
import { Encrypter } from "../src/api/encrypter.js";
import { selftest } from "../src/api/selftest.js";
import { errorLine } from "../src/bundle/errors.js";
import type { KeyInput } from "../src/openssl/index.js";
import { browserContext } from "../src/runtime/browser/context.js";
import { readSmall } from "../src/runtime/browser/files.js";
import { outputStorage, releaseOutput } from "../src/runtime/browser/opfs.js";
import { decryptBlob, encryptBlob, readMetaBlob, signBlob, verifyBlob, type Phase } from "../src/verbs/browser.js";
import type { Output, Request, Response, Result } from "./protocol.js";

/** The worker is the page's entry point to the engine: it makes the context its verbs run on. */
const ctx = browserContext();

interface WorkerScope {
  postMessage(message: Response): void;
  onmessage: ((event: MessageEvent<Request>) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
const post = (message: Response): void => scope.postMessage(message);

class RequestError extends Error {
  override name = "UsageError";
}

function describe(e: unknown): { name: string; message: string } {
  return { name: e instanceof Error ? e.name : "Error", message: errorLine(e) };
}

/** Progress messages for one file, at most every 50 ms per phase (and always the last). */
function progressFor(id: number, file: string): (phase: Phase, done: number, total: number) => void {
  let last = 0;
  let lastPhase = "";
  return (phase, done, total) => {
    const now = performance.now();
    if (phase === lastPhase && done < total && now - last < 50) return;
    last = now;
    lastPhase = phase;
    post({ id, progress: { phase, file, done, total } });
  };
}

function need<T>(items: readonly T[] | undefined, what: string): [T, ...T[]] {
  const [first, ...rest] = items ?? [];
  if (first === undefined) throw new RequestError(`choose ${what}`);
  return [first, ...rest];
}

function privateKey(r: Request): KeyInput {
  const [file] = need(r.keys, "your private key file");
  const key = readSmall(file, "private key");
  return r.passphrase === undefined || r.passphrase === "" ? { key } : { key, passphrase: new TextEncoder().encode(r.passphrase) };
}

function wipe(k: KeyInput): void {
  k.key.fill(0);
  if (k.passphrase instanceof Uint8Array) k.passphrase.fill(0);
}

const base64 = (bytes: Uint8Array): string => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

async function run(r: Request): Promise<Result> {
  switch (r.op) {
    case "encrypt": {
      const files = need(r.files, "the data file(s) to encrypt");
      const publicKeys = need(r.keys, "the public key file(s)").map((k) => readSmall(k, "public key"));
      const outputs: Output[] = [];
      const warnings = new Set<string>();
      const encrypter = await Encrypter.create(ctx, { publicKeys });
      try {
        for (const file of files) {
          const { output, warnings: w } = await encryptBlob(encrypter, file, {
            noName: r.options?.keepName === false,
            noDate: r.options?.keepDate === false,
            note: r.options?.note === undefined || r.options.note === "" ? undefined : r.options.note,
            onProgress: progressFor(r.id, file.name),
          });
          w.forEach((m) => warnings.add(m));
          outputs.push({ name: output.name, file: output.file, id: output.id });
        }
      } catch (e) {
        // The page gets none of this request's outputs: remove those already made.
        for (const o of outputs) await releaseOutput(o.id);
        throw e;
      } finally {
        encrypter.wipe();
      }
      return { op: "encrypt", outputs, warnings: [...warnings] };
    }
    case "decrypt": {
      const [bundle] = need(r.files, "the bundle (.enc) to decrypt");
      const key = privateKey(r);
      try {
        const { output, meta } = await decryptBlob(ctx, bundle, { privateKey: key, onProgress: progressFor(r.id, bundle.name) });
        return { op: "decrypt", outputs: [{ name: output.name, file: output.file, id: output.id }], meta };
      } finally {
        wipe(key);
      }
    }
    case "info": {
      const [bundle] = need(r.files, "a bundle (.enc)");
      return { op: "info", info: await readMetaBlob(ctx, bundle) };
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
  }
}

const ready = (async () => {
  await ctx.openssl.module();
  post({ id: 0, ready: { openssl: await ctx.openssl.version(), storage: await outputStorage() } });
})().catch((e: unknown) => post({ id: 0, error: describe(e) }));

let queue: Promise<unknown> = ready;
scope.onmessage = (event) => {
  const r = event.data;
  queue = queue.then(async () => {
    try {
      post({ id: r.id, result: await run(r) });
    } catch (e) {
      post({ id: r.id, error: describe(e) });
    }
  });
};
