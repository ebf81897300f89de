import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runOpenSSL } from "../src/openssl-api.js";
import { nodeHostFs } from "../src/runtime/node/fs.js";
import { DescriptorTable } from "../src/wasi/descriptors.js";
import { Errno, FileType, OFlags, Rights, Whence } from "../src/wasi/errno.js";
import { GuestMemory } from "../src/wasi/guest-memory.js";
import { fdImports } from "../src/wasi/imports-fd.js";
import { pathImports } from "../src/wasi/imports-path.js";
import { HostFile, MemoryDirectory, MemoryFile, type FileNode, type FileStorage, type SpecialFile } from "../src/wasi/index.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-special-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A device or pipe node that counts the truncations asked of it. */
class FakeDevice implements FileNode {
  readonly kind = "file";
  truncations = 0;
  constructor(private readonly special: SpecialFile) {}

  stat() {
    return { type: this.special.type, size: 0, ino: 0n, mtimeNs: 0n };
  }

  open(): FileStorage {
    return {
      special: this.special,
      size: () => 0,
      read: () => 0,
      write: () => {},
      truncate: () => void this.truncations++,
      sync: () => {},
      close: () => {},
    };
  }
}

/** The host's path_* and fd_* calls over a memory folder preopened as fd 0, called as the guest calls them. */
function guest(root: MemoryDirectory) {
  const mem = new GuestMemory();
  mem.attach(new WebAssembly.Memory({ initial: 1 }));
  const fds = new DescriptorTable();
  fds.add({ type: "dir", dir: root, preopenName: "/" });
  const p = pathImports(mem, fds);
  const f = fdImports(mem, fds);
  const RESULT = 2048;
  return {
    open(name: string, oflags: number): { errno: number; fd: number } {
      const bytes = new TextEncoder().encode(name);
      mem.bytes(1024, bytes.length).set(bytes);
      const errno = p.path_open(0, 1, 1024, bytes.length, oflags, Rights.FD_READ | Rights.FD_WRITE, 0n, 0, RESULT);
      return { errno, fd: mem.view().getUint32(RESULT, true) };
    },
    seek: (fd: number) => f.fd_seek(fd, 0n, Whence.END, RESULT),
    fdstat(fd: number): { errno: number; type: number; rights: bigint } {
      const errno = f.fd_fdstat_get(fd, RESULT);
      return { errno, type: mem.view().getUint8(RESULT), rights: mem.view().getBigUint64(RESULT + 8, true) };
    },
  };
}

describe("opening non-regular files (WASI host)", () => {
  const root = new MemoryDirectory();
  const nullDevice = new FakeDevice({ type: FileType.CHARACTER_DEVICE, seekable: true });
  const pipe = new FakeDevice({ type: FileType.UNKNOWN, seekable: false });
  const terminal = new FakeDevice({ type: FileType.CHARACTER_DEVICE, seekable: false });
  root.set("null", nullDevice);
  root.set("fifo", pipe);
  root.set("tty", terminal);
  root.set("data", new MemoryFile(new TextEncoder().encode("stale content")));
  const g = guest(root);

  it("truncates regular files only, as POSIX's O_TRUNC does", () => {
    for (const device of [nullDevice, pipe, terminal]) device.truncations = 0;
    for (const name of ["null", "fifo", "tty"]) expect(g.open(name, OFlags.CREAT | OFlags.TRUNC).errno).toBe(Errno.SUCCESS);
    expect([nullDevice, pipe, terminal].map((d) => d.truncations)).toEqual([0, 0, 0]);
    expect(g.open("data", OFlags.CREAT | OFlags.TRUNC).errno).toBe(Errno.SUCCESS);
    expect((root.lookup("data") as MemoryFile).size()).toBe(0);
  });

  it("lets a device seek, and answers ESPIPE for a pipe or a terminal", () => {
    expect(g.seek(g.open("null", 0).fd)).toBe(Errno.SUCCESS);
    expect(g.seek(g.open("fifo", 0).fd)).toBe(Errno.SPIPE);
    expect(g.seek(g.open("tty", 0).fd)).toBe(Errno.SPIPE);
  });

  it("describes each by its type; only a terminal lacks seek rights (wasi-libc's isatty)", () => {
    const seek = Rights.FD_SEEK | Rights.FD_TELL;
    const nul = g.fdstat(g.open("null", 0).fd);
    expect([nul.type, nul.rights & seek]).toEqual([FileType.CHARACTER_DEVICE, seek]);
    const tty = g.fdstat(g.open("tty", 0).fd);
    expect([tty.type, tty.rights & seek]).toEqual([FileType.CHARACTER_DEVICE, 0n]);
    expect(g.fdstat(g.open("fifo", 0).fd).type).toBe(FileType.UNKNOWN);
    expect(g.fdstat(g.open("data", 0).fd).type).toBe(FileType.REGULAR_FILE);
  });
});

// /dev/null and mkfifo: POSIX hosts (the guest-side rules above hold everywhere).
describe.skipIf(process.platform === "win32")("non-regular host files (Node adapter)", () => {
  it("opens /dev/null as a seekable character device that takes writes anywhere", () => {
    expect(nodeHostFs.stat("/dev/null", true)?.type).toBe("char");
    const storage = nodeHostFs.open("/dev/null", { read: false, write: true });
    expect(storage.special).toEqual({ type: FileType.CHARACTER_DEVICE, seekable: true });
    storage.write(new Uint8Array(10), 1 << 20);
    storage.close();
  });

  it("reads and writes a FIFO where it stands, whatever position the guest holds", () => {
    const fifo = path.join(tmp, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(nodeHostFs.stat(fifo, true)?.type).toBe("other");
    // Read and write on one descriptor: Linux opens a FIFO so without waiting for a peer.
    const storage = nodeHostFs.open(fifo, { read: true, write: true });
    expect(storage.special).toEqual({ type: FileType.UNKNOWN, seekable: false });
    storage.write(new TextEncoder().encode("abc"), 100);
    const got = new Uint8Array(8);
    expect(new TextDecoder().decode(got.subarray(0, storage.read(got, 50)))).toBe("abc");
    storage.close();
  });

  it("keeps regular files regular (and truncated by O_TRUNC)", async () => {
    const file = path.join(tmp, "out.bin");
    fs.writeFileSync(file, "a much longer stale content than 4 random bytes");
    expect(nodeHostFs.open(file, { read: true, write: false }).special).toBeUndefined();
    await runOpenSSL(["rand", "-out", "/out/r.bin", "4"], { files: { "/out/r.bin": new HostFile(nodeHostFs, file) } });
    expect(fs.statSync(file).size).toBe(4);
  });

  it("lets the library's commands write to /dev/null", async () => {
    const r = await runOpenSSL(["rand", "-out", "/dev/null", "4"], { files: { "/dev/null": new HostFile(nodeHostFs, "/dev/null") } });
    expect(r.exitCode).toBe(0);
  });
});
