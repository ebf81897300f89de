import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostKey } from "../helpers/keys.js";
import { copyBrowserLibrary, evaluateServed, requireBuild } from "./helpers.js";

/**
 * Strict signatures in Chromium, on the browser library as shipped: `verifyBlob` with signature
 * files of every wrong length (each false, with its reason), and a bundle's signers required by
 * `decryptBytes` and reported by `readMetaBlob` (the committed vector signed by alice).
 */
const VECTORS = fileURLToPath(new URL("../vectors/", import.meta.url));
const site = fs.mkdtempSync(path.join(os.tmpdir(), "osw-sig-browser-"));

interface PageResults {
  verdicts: Record<string, { ok: boolean; reason: string | null }>;
  decrypted: number;
  refused: string;
  signatures: unknown;
}
let results: PageResults;
let problems: string[] = [];

/** Signature files (raw or base64) over data.bin, all for alice's key (256-byte signatures). */
function signatureFiles(): Record<string, Uint8Array | string> {
  const data = crypto.randomBytes(30_000);
  const alice = fs.readFileSync(path.join(VECTORS, "keys/alice.pem"));
  const pss = crypto.sign("sha256", data, { key: alice, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  const other = hostKey(site, "c3072", 3072);
  return {
    "data.bin": data,
    "good.sig": `${pss.toString("base64")}\n`,
    "good.bin": pss,
    "junk.bin": Buffer.concat([pss, Buffer.from("JUNK")]),
    "deadbeef.sig": `${Buffer.concat([pss, Buffer.from("deadbeef", "hex")]).toString("base64")}\n`,
    "prepended.bin": Buffer.concat([Buffer.alloc(2), pss]),
    "truncated.bin": pss.subarray(0, 200),
    "empty.sig": "",
    "3072.bin": crypto.sign("sha256", data, { key: other.privPem, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
  };
}

/** What the page's worker runs: each signature file through verifyBlob, the signed vector through decryptBytes and readMetaBlob. */
const WORKER = `
import * as ow from "/browser/opensslwrap.js";
const get = async (name) => new Uint8Array(await (await fetch("/t/" + name)).arrayBuffer());
const blob = async (name) => new Blob([await get(name)]);
try {
  const data = await blob("data.bin");
  const alice = await get("alice.pub.pem");
  const verdicts = {};
  for (const sig of ["good.sig", "good.bin", "junk.bin", "deadbeef.sig", "prepended.bin", "truncated.bin", "empty.sig", "3072.bin"]) {
    let reason = null;
    const ok = await ow.verifyBlob(data, new Blob([alice]), await blob(sig), { onReason: (r) => (reason = r) });
    verdicts[sig] = { ok, reason };
  }
  const bundle = await get("v2-signed.enc");
  const bob = { key: await get("bob.pem"), passphrase: "bob's lab passphrase" };
  const carol = await get("carol.pub.pem");
  const decrypted = (await ow.decryptBytes(bundle, { privateKey: bob, signers: [alice] })).plaintext.length;
  let refused = "";
  try {
    await ow.decryptBytes(bundle, { privateKey: bob, signers: [alice, carol] });
  } catch (e) {
    refused = (e instanceof ow.SignatureError ? "SignatureError: " : "other: ") + e.message;
  }
  const signatures = (await ow.readMetaBlob(new Blob([bundle]), { signers: [carol, alice] })).signatures;
  postMessage({ verdicts, decrypted, refused, signatures });
} catch (e) {
  postMessage({ error: String(e && e.stack || e) });
}
`;

beforeAll(async () => {
  requireBuild();
  copyBrowserLibrary(site);
  fs.mkdirSync(path.join(site, "t"));
  for (const [name, content] of Object.entries(signatureFiles())) fs.writeFileSync(path.join(site, "t", name), content);
  for (const f of ["keys/alice.pub.pem", "keys/bob.pem", "keys/carol.pub.pem", "v2-signed.enc"]) fs.copyFileSync(path.join(VECTORS, f), path.join(site, "t", path.basename(f)));
  fs.writeFileSync(path.join(site, "index.html"), '<!doctype html><meta charset="utf-8"><title>signatures</title>');
  fs.writeFileSync(path.join(site, "sig-worker.js"), WORKER);
  fs.writeFileSync(path.join(site, "favicon.ico"), "");
  // The Blob verbs read files with FileReaderSync: they run in a (module) Web Worker.
  ({ result: results, problems } = await evaluateServed<PageResults>(
    site,
    `new Promise((resolve, reject) => {
      const w = new Worker("/sig-worker.js", { type: "module" });
      w.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve(e.data));
      w.onerror = (e) => reject(new Error(e.message));
    })`,
  ));
}, 120_000);

afterAll(() => fs.rmSync(site, { recursive: true, force: true }));

describe("signatures in Chromium (dist/browser/opensslwrap.js)", () => {
  it("verifyBlob: base64 and raw signatures verify; every other length is false with its reason", () => {
    expect(results.verdicts).toEqual({
      "good.sig": { ok: true, reason: null },
      "good.bin": { ok: true, reason: null },
      "junk.bin": { ok: false, reason: "signature is 260 bytes; this key's signatures are 256" },
      "deadbeef.sig": { ok: false, reason: "signature is 260 bytes; this key's signatures are 256" },
      "prepended.bin": { ok: false, reason: "signature is 258 bytes; this key's signatures are 256" },
      "truncated.bin": { ok: false, reason: "signature is 200 bytes; this key's signatures are 256" },
      "empty.sig": { ok: false, reason: "signature is empty (0 bytes); this key's signatures are 256" },
      "3072.bin": { ok: false, reason: "signature is 384 bytes; this key's signatures are 256" },
    });
    expect(problems).toEqual([]);
  });

  it("decryptBytes requires each signer; readMetaBlob reports each", () => {
    const fp = (name: string) => crypto.createHash("sha256").update(crypto.createPublicKey(fs.readFileSync(path.join(VECTORS, "keys", name))).export({ type: "spki", format: "der" })).digest("hex");
    expect(results.decrypted).toBe(771);
    expect(results.refused).toBe(`SignatureError: not signed by SHA256:${fp("carol.pub.pem")}: the bundle has no signature by this key`);
    expect(results.signatures).toEqual([
      { fingerprint: fp("carol.pub.pem"), verified: false, reason: "the bundle has no signature by this key" },
      { fingerprint: fp("alice.pub.pem"), verified: true },
    ]);
  });
});
