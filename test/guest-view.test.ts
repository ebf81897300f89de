import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openssl, runOpenSSL } from "../src/openssl-api.js";
import { CWD_VARIABLE, guestEnvironment, guestView, UnsupportedPathError, win32Location, type GuestView } from "../src/runtime/node/guest-view.js";
import { nodeHostFs } from "../src/runtime/node/fs.js";
import { passthroughOptions } from "../src/runtime/node/passthrough.js";
import { HostDirectory, runWasi } from "../src/wasi/index.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-view-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What wasi-libc hands the host for a path typed in the guest: joined to its working folder, below "/". */
function received(view: GuestView, typed: string): string {
  const absolute = typed.startsWith("/") ? typed : `${view.cwd === "/" ? "" : view.cwd}/${typed}`;
  return absolute.replace(/^\/+/, "");
}

const locate = (typed: string, cwd = "C:\\Users\\ana\\data") => {
  const view = guestView(cwd, "win32");
  return view.locate(received(view, typed));
};

describe("the guest's view of a Windows host", () => {
  it("shows the current drive as / and the working folder below it", () => {
    expect(guestView("C:\\Users\\ana\\data", "win32")).toMatchObject({ root: "C:\\", cwd: "/Users/ana/data" });
    expect(guestView("d:\\", "win32")).toMatchObject({ root: "D:\\", cwd: "/" });
    expect(guestView("\\\\srv\\lab\\2024", "win32")).toMatchObject({ root: "\\\\srv\\lab\\", cwd: "/2024" });
  });

  it("maps drive letters, on any drive, with either separator", () => {
    expect(locate("C:\\k.pem")).toEqual({ root: "C:\\", path: "k.pem" });
    expect(locate("D:\\keys\\k.pem")).toEqual({ root: "D:\\", path: "keys/k.pem" });
    expect(locate("d:/keys/k.pem")).toEqual({ root: "D:\\", path: "keys/k.pem" });
    expect(locate("D:\\keys/sub\\k.pem")).toEqual({ root: "D:\\", path: "keys/sub/k.pem" });
    expect(locate("D:\\")).toEqual({ root: "D:\\", path: "." });
  });

  it("reads relative paths from the working folder, with .. and mixed separators", () => {
    expect(locate("k.pem")).toEqual({ root: "C:\\", path: "Users/ana/data/k.pem" });
    expect(locate("..\\keys\\k.pem")).toEqual({ root: "C:\\", path: "Users/ana/keys/k.pem" });
    expect(locate("../keys\\..\\k.pem")).toEqual({ root: "C:\\", path: "Users/ana/k.pem" });
    expect(locate(".\\sub\\.\\k.pem")).toEqual({ root: "C:\\", path: "Users/ana/data/sub/k.pem" });
    expect(locate("..\\..\\..\\..\\k.pem")).toEqual({ root: "C:\\", path: "k.pem" });
    expect(locate(".")).toEqual({ root: "C:\\", path: "Users/ana/data" });
  });

  it("puts rooted paths on the current drive", () => {
    expect(locate("\\k.pem")).toEqual({ root: "C:\\", path: "k.pem" });
    expect(locate("/Users/bo/k.pem")).toEqual({ root: "C:\\", path: "Users/bo/k.pem" });
    expect(locate("\\k.pem", "E:\\work")).toEqual({ root: "E:\\", path: "k.pem" });
    expect(locate("\\k.pem", "\\\\srv\\lab\\2024")).toEqual({ root: "\\\\srv\\lab\\", path: "k.pem" });
  });

  it("reads a drive-relative path from the working folder on its drive, else from that drive's root", () => {
    expect(locate("C:k.pem")).toEqual({ root: "C:\\", path: "Users/ana/data/k.pem" });
    expect(locate("c:..\\k.pem")).toEqual({ root: "C:\\", path: "Users/ana/k.pem" });
    expect(locate("D:k.pem")).toEqual({ root: "D:\\", path: "k.pem" });
  });

  it("opens network shares and works in one", () => {
    expect(locate("\\\\srv\\lab\\keys\\k.pem")).toEqual({ root: "\\\\srv\\lab\\", path: "keys/k.pem" });
    expect(locate("\\\\srv/lab/k.pem", "C:\\")).toEqual({ root: "\\\\srv\\lab\\", path: "k.pem" });
    // Forward slashes only: a guest-absolute path, whose leading slashes wasi-libc merges before the host sees it.
    expect(locate("//srv/lab/k.pem")).toEqual({ root: "C:\\", path: "srv/lab/k.pem" });
    expect(locate("..\\k.pem", "\\\\srv\\lab\\2024")).toEqual({ root: "\\\\srv\\lab\\", path: "k.pem" });
  });

  it("refuses device and verbatim paths and half a share, saying why", () => {
    expect(() => locate("\\\\.\\pipe\\keys")).toThrow(/device and verbatim paths .* not supported/);
    expect(() => locate("\\\\?\\C:\\k.pem")).toThrow(UnsupportedPathError);
    expect(() => locate("\\\\srv")).toThrow(/needs a server and a share name/);
    expect(() => win32Location("k.pem", "data")).toThrow(/not an absolute Windows path/);
  });
});

describe("the guest's view of a POSIX host", () => {
  it("is the host's own tree, paths unchanged", () => {
    const view = guestView("/home/ana/data", "posix");
    expect(view).toMatchObject({ root: "/", cwd: "/home/ana/data" });
    expect(view.locate("home/ana/data/..\\k.pem")).toEqual({ root: "/", path: "home/ana/data/..\\k.pem" });
  });
});

describe("the guest's environment", () => {
  it("is the host's, with the working folder set by us", () => {
    const env = guestEnvironment({ OPENSSL_CONF: "r.cnf", PATH: "/bin", EMPTY: "", UNSET: undefined, [CWD_VARIABLE]: "/etc", "=C:": "C:\\x" }, "/home/ana");
    expect(env).toEqual(["OPENSSL_CONF=r.cnf", "PATH=/bin", "EMPTY=", `${CWD_VARIABLE}=/home/ana`]);
  });

  it("never reaches the library's own commands", async () => {
    fs.writeFileSync(path.join(tmp, "r.cnf"), "openssl_conf = oc\n[oc]\nrandom = rs\n[rs]\ncipher = AES-128-CTR\n");
    const saved = process.env["OPENSSL_CONF"];
    process.env["OPENSSL_CONF"] = path.join(tmp, "r.cnf");
    try {
      const r = await runOpenSSL(["list", "--random-instances"]);
      expect(new TextDecoder().decode(r.stdout)).toContain("AES-256-CTR");
    } finally {
      if (saved === undefined) delete process.env["OPENSSL_CONF"];
      else process.env["OPENSSL_CONF"] = saved;
    }
  });
});

describe("the openssl verb on a simulated Windows host (the real wasm, host folders standing for drives)", () => {
  const drives: Record<string, string> = { "C:\\": "C", "D:\\": "D", "\\\\srv\\lab\\": "share" };
  const put = (rel: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.writeFileSync(path.join(tmp, rel), content);
  };
  put("C/work/up.txt", "up");
  put("C/top.txt", "top");
  put("D/keys/k.txt", "key");
  put("share/s.txt", "share");
  put("D/cfg/r.cnf", "openssl_conf = oc\n[oc]\nrandom = rs\n[rs]\ncipher = $ENV::CIPHER\n");
  fs.mkdirSync(path.join(tmp, "C/work/sub"), { recursive: true });

  async function win32(args: string[], env: Record<string, string> = {}) {
    let stdout = "";
    let stderr = "";
    const text = (sink: (s: string) => void) => ({ write: (chunk: Uint8Array) => sink(new TextDecoder().decode(chunk)) });
    const code = runWasi(
      await openssl.module(),
      passthroughOptions(args, {
        platform: "win32",
        cwd: "C:\\work\\sub",
        env,
        folder: (root) => new HostDirectory(nodeHostFs, path.join(tmp, drives[root] ?? "missing-drive")),
        stdin: { read: () => 0 },
        stdout: text((s) => (stdout += s)),
        stderr: text((s) => (stderr += s)),
      }),
    );
    return { code, stdout, stderr };
  }

  const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

  it("reads Windows paths as Windows does", async () => {
    const typed = ["..\\up.txt", "C:\\top.txt", "\\top.txt", "D:\\keys\\k.txt", "d:/keys/k.txt", "\\\\srv\\lab\\s.txt", "C:..\\up.txt"];
    const r = await win32(["dgst", "-sha256", "-r", ...typed]);
    expect(r.stderr).toBe("");
    const contents = ["up", "top", "top", "key", "key", "share", "up"];
    expect(r.stdout.trim().split("\n")).toEqual(typed.map((p, i) => `${sha256(contents[i] ?? "")} *${p}`));
  });

  it("writes to another drive and reads OPENSSL_CONF given as a Windows path", async () => {
    expect((await win32(["rand", "-out", "D:\\out\\..\\rand.bin", "16"])).code).toBe(0);
    expect(fs.statSync(path.join(tmp, "D/rand.bin")).size).toBe(16);
    const r = await win32(["list", "--random-instances"], { OPENSSL_CONF: "D:\\cfg\\r.cnf", CIPHER: "AES-192-CTR" });
    expect(r.stdout).toContain("AES-192-CTR");
  });

  it("refuses a device path with one line of its own", async () => {
    const r = await win32(["dgst", "-sha256", "\\\\.\\pipe\\keys"]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("opensslwrap:"))).toEqual([
      "opensslwrap: \\\\.\\pipe\\keys: device and verbatim paths (\\\\.\\..., \\\\?\\...) are not supported; write the plain path (C:\\... or \\\\server\\share\\...)",
    ]);
  });
});
