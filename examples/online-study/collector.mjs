// The collection end of the online-study example: takes POSTed opensslwrap bundles and stores
// each under a fresh name in a folder. It holds no private key and so cannot read what it
// stores; it only checks that a body looks like a bundle (a tar whose first member is
// header.txt), to keep junk out.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The encryptor's 64 MiB cap, plus room for the bundle's header, keys and meta-data. */
export const MAX_BODY = 64 * 1024 * 1024 + 64 * 1024;

class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function looksLikeBundle(head, size) {
  const text = (from, to) => Buffer.from(head.subarray(from, to)).toString("latin1");
  return size >= 2048 && size % 512 === 0 && text(0, 11) === "header.txt\0" && text(257, 263) === "ustar\0";
}

/** Streams the request body into `temp` (created 0600), refusing it past MAX_BODY; returns its size. */
async function receive(req, temp) {
  const out = await fs.promises.open(temp, "wx", 0o600);
  let size = 0;
  try {
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_BODY) throw new Refused(413, `a bundle is at most ${MAX_BODY} bytes`);
      await out.write(chunk);
    }
    await out.sync();
  } finally {
    await out.close();
  }
  return size;
}

/**
 * Stores the bundle in `req` under `dir` (written to a temp name, renamed when complete) and
 * answers 201 with its name, or 400 / 413 with a one-line reason.
 */
export async function collect(req, res, dir, log) {
  const reply = (status, body) => res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" }).end(`${JSON.stringify(body)}\n`);
  const id = `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomBytes(6).toString("hex")}`;
  const temp = path.join(dir, `.${id}.part`);
  try {
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY) throw new Refused(413, `a bundle is at most ${MAX_BODY} bytes`);
    const size = await receive(req, temp);
    const head = new Uint8Array(512);
    const file = await fs.promises.open(temp, "r");
    await file.read(head, 0, 512, 0).finally(() => file.close());
    if (!looksLikeBundle(head, size)) throw new Refused(400, "not an opensslwrap bundle");
    const name = `${id}.enc`;
    await fs.promises.rename(temp, path.join(dir, name));
    log(`stored ${path.join(dir, name)} (${size} bytes)`);
    reply(201, { stored: name });
  } catch (e) {
    await fs.promises.rm(temp, { force: true });
    if (!(e instanceof Refused)) throw e;
    // The rest of a refused body is not read: close the connection after answering.
    res.setHeader("Connection", "close");
    reply(e.status, { error: e.message });
  }
}
