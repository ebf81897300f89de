import { digest, dgstSign, dgstVerify, enc, hex, hmac, unhex } from "../openssl/index.js";
import { MemoryFile } from "../wasi/index.js";
import type { Context } from "../bundle/context.js";
import { DecryptError, IntegrityError } from "../bundle/errors.js";
import { decryptBytes } from "./decrypt.js";
import { Encrypter } from "./encrypter.js";
import { generateKeyPair } from "./keys.js";
import { rotateBytes } from "./rotate.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

async function expectError(run: () => Promise<unknown>, type: new (...a: never[]) => Error): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (e instanceof type) return;
    throw e;
  }
  throw new Error(`expected ${type.name}`);
}

/** Known answers and round trips on this machine; `log` receives one line per check. */
export async function selftest(ctx: Context, log: (line: string) => void): Promise<boolean> {
  const checks: [string, () => Promise<void>][] = [
    ["engine is OpenSSL 3.5.7", async () => {
      const v = await ctx.openssl.version();
      if (!v.startsWith("OpenSSL 3.5.7 ")) throw new Error(v);
    }],
    ["SHA-256 known answer (FIPS 180-2 'abc')", async () => {
      if (hex(await digest(ctx.openssl, new MemoryFile(utf8("abc")))) !== "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") throw new Error("mismatch");
    }],
    ["HMAC-SHA256 known answer (RFC 4231 case 2)", async () => {
      if (hex(await hmac(ctx.openssl, utf8("Jefe"), new MemoryFile(utf8("what do ya want for nothing?")))) !== "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") throw new Error("mismatch");
    }],
    ["AES-256-CTR known answer (NIST SP 800-38A F.5.5)", async () => {
      const out = await enc(ctx.openssl, { input: unhex("6bc1bee22e409f96e93d7e117393172a"), cipher: "aes-256-ctr", key: { key: unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"), iv: unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff") } });
      if (hex(out) !== "601ec313775789a5b7a7f504bbf3d228") throw new Error("mismatch");
    }],
  ];
  const data = utf8("opensslwrap selftest: participant 007, session 3\n".repeat(1000));
  let alice: Awaited<ReturnType<typeof generateKeyPair>> | undefined;
  let bob: Awaited<ReturnType<typeof generateKeyPair>> | undefined;
  let bundle: Uint8Array = new Uint8Array(0);
  checks.push(
    ["generate two RSA-2048 key pairs (one passphrase-protected)", async () => {
      alice = await generateKeyPair(ctx, { bits: 2048 });
      bob = await generateKeyPair(ctx, { bits: 2048, passphrase: "selftest" });
    }],
    ["encrypt for two recipients, each decrypts alone", async () => {
      if (alice === undefined || bob === undefined) throw new Error("no keys");
      const encrypter = await Encrypter.create(ctx, { publicKeys: [alice.publicKey, bob.publicKey] });
      bundle = await encrypter.encryptBytes(data, { name: "selftest.txt", noDate: true });
      for (const key of [{ key: alice.privateKey }, { key: bob.privateKey, passphrase: "selftest" }]) {
        const { plaintext } = await decryptBytes(ctx, bundle, { privateKey: key });
        if (hex(plaintext) !== hex(data)) throw new Error("round trip differs");
      }
    }],
    ["an altered byte is refused (IntegrityError)", async () => {
      const bad = bundle.slice();
      const at = Math.floor(bad.length / 2); // inside the payload, the bulk of the bundle
      bad[at] = (bad[at] ?? 0) ^ 1;
      await expectError(() => decryptBytes(ctx, bad, { privateKey: { key: alice?.privateKey ?? new Uint8Array() } }), IntegrityError);
    }],
    ["rotation: new key opens, old key is refused (DecryptError)", async () => {
      if (alice === undefined || bob === undefined) throw new Error("no keys");
      const rotated = await rotateBytes(ctx, bundle, { key: alice.privateKey }, { publicKeys: [bob.publicKey], noDate: true });
      const { plaintext } = await decryptBytes(ctx, rotated, { privateKey: { key: bob.privateKey, passphrase: "selftest" } });
      if (hex(plaintext) !== hex(data)) throw new Error("round trip differs");
      await expectError(() => decryptBytes(ctx, rotated, { privateKey: { key: alice?.privateKey ?? new Uint8Array() } }), DecryptError);
    }],
    ["sign and verify (RSA-PSS SHA-256)", async () => {
      if (alice === undefined) throw new Error("no keys");
      const sig = await dgstSign(ctx.openssl, { key: alice.privateKey }, new MemoryFile(data));
      if (!(await dgstVerify(ctx.openssl, alice.publicKey, new MemoryFile(data), sig))) throw new Error("signature does not verify");
      if (await dgstVerify(ctx.openssl, alice.publicKey, new MemoryFile(utf8("other")), sig)) throw new Error("signature verifies other data");
    }],
  );
  let ok = true;
  for (const [label, run] of checks) {
    try {
      await run();
      log(`ok    ${label}`);
    } catch (e) {
      ok = false;
      log(`FAIL  ${label}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  log(ok ? "test SUCCESS, reporting complete" : "test FAILED");
  return ok;
}
