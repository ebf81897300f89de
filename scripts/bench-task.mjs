#!/usr/bin/env node
// One measurement of scripts/bench.mjs, in its own process: node bench-task.mjs TASK DIR [ENGINE]
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable, Writable } from "node:stream";
import { decrypt, encrypt } from "../dist/index.js";
import { enc, hmac, openssl } from "../dist/openssl-api.js";
import { nodeHostFs } from "../dist/runtime/node/fs.js";
import { HostFile } from "../dist/wasi/index.js";

const [taskName, dir, engine = "auto"] = process.argv.slice(2);
const f = (name) => path.join(dir, name);
const readKey = (name) => fs.readFileSync(f(name));

/** A web ReadableStream of a file, and a web WritableStream into one (peers' streaming APIs). */
const webIn = (name) => Readable.toWeb(fs.createReadStream(f(name), { highWaterMark: 1 << 20 }));
const webOut = (name) => Writable.toWeb(fs.createWriteStream(f(name)));

async function openpgpKeys() {
  const openpgp = await import("openpgp");
  return {
    openpgp,
    pub: await openpgp.readKey({ armoredKey: fs.readFileSync(f("pgp.pub"), "utf8") }),
    priv: await openpgp.readPrivateKey({ armoredKey: fs.readFileSync(f("pgp.priv"), "utf8") }),
  };
}

async function pgpEncrypt(aead) {
  const { openpgp, pub } = await openpgpKeys();
  const message = await openpgp.createMessage({ binary: webIn("plain") });
  const stream = await openpgp.encrypt({ message, encryptionKeys: pub, format: "binary", config: { aeadProtect: aead } });
  await stream.pipeTo(webOut("peer.out"));
}

async function pgpDecrypt() {
  const { openpgp, priv } = await openpgpKeys();
  const message = await openpgp.readMessage({ binaryMessage: webIn("peer.out") });
  const { data } = await openpgp.decrypt({ message, decryptionKeys: priv, format: "binary" });
  await data.pipeTo(webOut("peer.dec"));
}

const tasks = {
  async "peer-keys"() {
    const age = await import("age-encryption");
    const identity = await age.generateIdentity();
    fs.writeFileSync(f("age.key"), identity);
    fs.writeFileSync(f("age.pub"), await age.identityToRecipient(identity));
    const openpgp = await import("openpgp");
    const { privateKey, publicKey } = await openpgp.generateKey({ type: "rsa", rsaBits: 3072, userIDs: [{ name: "bench" }], format: "armored" });
    fs.writeFileSync(f("pgp.priv"), privateKey);
    fs.writeFileSync(f("pgp.pub"), publicKey);
  },
  async encrypt() {
    await encrypt(f("plain"), { publicKeys: [readKey("k.pub")], keep: true, engine });
  },
  async decrypt() {
    await decrypt(f("plain.enc"), { privateKey: { key: readKey("k.pem") }, out: f("plain.dec"), engine });
  },
  async "age-encrypt"() {
    const age = await import("age-encryption");
    const e = new age.Encrypter();
    e.addRecipient(fs.readFileSync(f("age.pub"), "utf8"));
    await (await e.encrypt(webIn("plain"))).pipeTo(webOut("peer.out"));
  },
  async "age-decrypt"() {
    const age = await import("age-encryption");
    const d = new age.Decrypter();
    d.addIdentity(fs.readFileSync(f("age.key"), "utf8"));
    await (await d.decrypt(webIn("peer.out"))).pipeTo(webOut("peer.dec"));
  },
  "openpgp-encrypt": () => pgpEncrypt(false),
  "openpgp-decrypt": pgpDecrypt,
  "openpgp-aead-encrypt": () => pgpEncrypt(true),
  "openpgp-aead-decrypt": pgpDecrypt,
  async "engine-enc"() {
    fs.writeFileSync(f("ctr.out"), "");
    await enc(openssl, { input: new HostFile(nodeHostFs, f("plain")), output: new HostFile(nodeHostFs, f("ctr.out")), cipher: "aes-256-ctr", key: { key: new Uint8Array(32).fill(0x11), iv: new Uint8Array(16).fill(0x22) } });
  },
  async "engine-hmac"() {
    await hmac(openssl, new Uint8Array(32).fill(0x11), new HostFile(nodeHostFs, f("plain")));
  },
};

const run = tasks[taskName];
if (run === undefined) throw new Error(`unknown bench task ${taskName}`);
await run();
