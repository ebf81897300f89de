import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { enc, openssl, runOpenSSL } from "../src/openssl-api.js";
import { nodeHostFs } from "../src/runtime/node/fs.js";
import { Errno, FsError, HostDirectory, HostFile, MemoryDirectory, MemoryFile } from "../src/wasi/index.js";
import { GuestMemory } from "../src/wasi/guest-memory.js";
import { DescriptorTable } from "../src/wasi/descriptors.js";
import { resolveParent } from "../src/wasi/paths.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-wasi-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("MemoryFile", () => {
  it("writes at offsets, grows, truncates and wipes", () => {
    const f = new MemoryFile();
    f.write(new Uint8Array([1, 2, 3]), 0);
    f.write(new Uint8Array([9]), 5);
    expect([...f.bytes()]).toEqual([1, 2, 3, 0, 0, 9]);
    f.write(new Uint8Array(10_000).fill(7), 6);
    expect(f.size()).toBe(10_006);
    f.truncate(2);
    expect([...f.bytes()]).toEqual([1, 2]);
    const dst = new Uint8Array(4);
    expect(f.read(dst, 1)).toBe(1);
    expect(f.read(dst, 2)).toBe(0);
    const held = f.bytes();
    f.wipe();
    expect(f.size()).toBe(0);
    expect([...held]).toEqual([0, 0]);
  });
});

describe("path resolution", () => {
  const root = new MemoryDirectory();
  root.createDirectory("a");

  it("resolves names below the preopen", () => {
    const r = resolveParent(root, "a/./b.txt");
    expect(r.name).toBe("b.txt");
    expect(r.parent).toBe(root.lookup("a"));
    expect(resolveParent(root, "a/..").parent).toBe(root);
  });

  it("never climbs above the preopen", () => {
    for (const p of ["..", "../x", "a/../../x", "a/../.."]) {
      expect(() => resolveParent(root, p)).toThrow(expect.objectContaining({ errno: Errno.NOTCAPABLE }) as FsError);
    }
  });

  it("reports missing folders and files used as folders", () => {
    root.set("f", new MemoryFile());
    expect(() => resolveParent(root, "nope/x")).toThrow(expect.objectContaining({ errno: Errno.NOENT }) as FsError);
    expect(() => resolveParent(root, "f/x")).toThrow(expect.objectContaining({ errno: Errno.NOTDIR }) as FsError);
  });
});

describe("descriptors", () => {
  it("hands out the lowest free number, as POSIX does", () => {
    const t = new DescriptorTable();
    const dir = { type: "dir", dir: new MemoryDirectory() } as const;
    expect([t.add(dir), t.add(dir), t.add(dir)]).toEqual([0, 1, 2]);
    t.close(1);
    expect(t.add(dir)).toBe(1);
    expect(() => t.get(7)).toThrow(FsError);
  });
});

describe("guest memory", () => {
  it("is zeroed by wipe()", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const g = new GuestMemory();
    g.attach(memory);
    g.bytes(100, 4).set([1, 2, 3, 4]);
    g.wipe();
    expect(new Uint8Array(memory.buffer).some((b) => b !== 0)).toBe(false);
  });
});

describe("host-backed files", () => {
  it("streams a host file through enc into another host file, byte-identical to host openssl", async () => {
    const input = path.join(tmp, "in.bin");
    const output = path.join(tmp, "out.bin");
    fs.writeFileSync(input, randomBytes(3 * 1024 * 1024 + 5));
    fs.writeFileSync(output, "stale content that must be truncated");
    const key = new Uint8Array(32).fill(1);
    const iv = new Uint8Array(16).fill(2);
    await enc(openssl, { input: new HostFile(nodeHostFs, input), output: new HostFile(nodeHostFs, output), key: { key, iv }, bufsize: 65536 });
    const reference = path.join(tmp, "ref.bin");
    execFileSync("openssl", ["enc", "-aes-256-cbc", "-K", "01".repeat(32), "-iv", "02".repeat(16), "-in", input, "-out", reference]);
    expect(Buffer.compare(fs.readFileSync(output), fs.readFileSync(reference))).toBe(0);
  });

  it("lists, renames and removes host files for the guest", async () => {
    const dir = path.join(tmp, "d");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "a.txt"), "abc");
    const host = new HostDirectory(nodeHostFs, dir);
    expect(host.names()).toEqual(["a.txt"]);
    host.rename("a.txt", host, "b.txt");
    expect(fs.existsSync(path.join(dir, "b.txt"))).toBe(true);
    const r = await runOpenSSL(["dgst", "-sha256", "/host/b.txt"], { files: { "/host/b.txt": new HostFile(nodeHostFs, path.join(dir, "b.txt")) } });
    expect(new TextDecoder().decode(r.stdout)).toContain("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    host.remove("b.txt");
    expect(host.names()).toEqual([]);
  });
});
