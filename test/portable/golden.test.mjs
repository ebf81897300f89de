// The golden vector made on Linux (test/golden/) opens here, and the engine's input-only commands
// give its hashes: the same bytes on every OS and runtime.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as ow from "opensslwrap";
import { runOpenSSL } from "opensslwrap/openssl";
import { golden, sha256, utf8 } from "./helpers.mjs";

describe("the golden vector", () => {
  it("decrypts to the golden plaintext, with its recorded name and note", async () => {
    const { plaintext, meta } = await ow.decryptBytes(golden.bundle, { privateKey: { key: utf8(golden.privateKey) } });
    assert.equal(sha256(plaintext), golden.plaintextSha256);
    assert.equal(meta.file.name, golden.name);
    assert.equal(meta.note, golden.note);
  });

  it("the commands that depend only on their input give the golden hashes", async () => {
    const { plaintext } = await ow.decryptBytes(golden.bundle, { privateKey: { key: utf8(golden.privateKey) } });
    for (const [name, { argv, sha256: expected }] of Object.entries(golden.commands)) {
      const r = await runOpenSSL(argv, { files: { "/in/plain": plaintext }, dirs: ["/out"] });
      assert.equal(sha256(r.files.get("/out/o") ?? r.stdout), expected, name);
    }
  });
});
