import { Errno, FdFlags, FileType, FsError, Rights, Whence } from "./errno.js";
import type { Descriptor, DescriptorTable } from "./descriptors.js";
import type { GuestMemory } from "./guest-memory.js";
import { guarded } from "./guard.js";
import { writeFilestat } from "./stat.js";

type FileDescriptor = Extract<Descriptor, { type: "file" }>;

/** An open file that can seek: a pipe, a terminal or a stream answers ESPIPE, as on POSIX. */
function seekable(fds: DescriptorTable, fd: number): FileDescriptor {
  const d = fds.get(fd);
  if (d.type === "file" && d.storage.special?.seekable !== false) return d;
  throw new FsError(d.type === "dir" ? Errno.ISDIR : Errno.SPIPE);
}

function transfer(d: Descriptor, buf: Uint8Array, direction: "read" | "write"): number {
  switch (d.type) {
    case "input":
      if (direction === "write") throw new FsError(Errno.BADF);
      return d.stream.read(buf);
    case "output":
      if (direction === "read") throw new FsError(Errno.BADF);
      d.stream.write(buf);
      return buf.length;
    case "dir":
      throw new FsError(Errno.ISDIR);
    case "file":
      if (direction === "read") {
        if (!d.readable) throw new FsError(Errno.BADF);
        const n = d.storage.read(buf, d.position);
        d.position += n;
        return n;
      }
      if (!d.writable) throw new FsError(Errno.BADF);
      if (d.append) d.position = d.storage.size();
      d.storage.write(buf, d.position);
      d.position += buf.length;
      return buf.length;
  }
}

/** fd_* calls: reading, writing, seeking and describing open descriptors. */
export function fdImports(mem: GuestMemory, fds: DescriptorTable) {
  const io = (direction: "read" | "write") =>
    guarded((fd: number, iovs: number, iovsLen: number, donePtr: number) => {
      const d = fds.get(fd);
      let done = 0;
      for (const [ptr, len] of mem.iovecs(iovs, iovsLen)) {
        if (len === 0) continue;
        // A view straight into guest memory: host files read into it and write from it, no copy.
        const n = transfer(d, mem.bytes(ptr, len), direction);
        done += n;
        if (n < len) break;
      }
      mem.u32(donePtr, done);
    });

  return {
    fd_read: io("read"),
    fd_write: io("write"),

    fd_close: guarded((fd: number) => fds.close(fd)),

    fd_seek: guarded((fd: number, offset: bigint, whence: number, resultPtr: number) => {
      const d = seekable(fds, fd);
      const base = whence === Whence.SET ? 0 : whence === Whence.CUR ? d.position : whence === Whence.END ? d.storage.size() : NaN;
      const target = base + Number(offset);
      if (!(target >= 0)) throw new FsError(Errno.INVAL);
      d.position = target;
      mem.u64(resultPtr, BigInt(target));
    }),

    fd_tell: guarded((fd: number, resultPtr: number) => mem.u64(resultPtr, BigInt(seekable(fds, fd).position))),

    fd_fdstat_get: guarded((fd: number, ptr: number) => {
      const d = fds.get(fd);
      let type: FileType = FileType.UNKNOWN;
      let flags = 0;
      let rights = Rights.ALL;
      if (d.type === "file") {
        type = d.storage.special?.type ?? FileType.REGULAR_FILE;
        flags = d.append ? FdFlags.APPEND : 0;
        // wasi-libc's isatty() is "a character device without seek rights": only a terminal.
        if (d.storage.special?.seekable === false) rights &= ~(Rights.FD_SEEK | Rights.FD_TELL);
      } else if (d.type === "dir") {
        type = FileType.DIRECTORY;
      } else if (d.stream.isTTY === true) {
        // wasi-libc's isatty(): a character device that cannot seek.
        type = FileType.CHARACTER_DEVICE;
        rights &= ~(Rights.FD_SEEK | Rights.FD_TELL);
      }
      const v = mem.view();
      const at = ptr >>> 0;
      v.setUint8(at, type);
      v.setUint16(at + 2, flags, true);
      v.setBigUint64(at + 8, rights, true);
      v.setBigUint64(at + 16, Rights.ALL, true);
    }),

    fd_fdstat_set_flags: guarded((fd: number, flags: number) => {
      const d = fds.get(fd);
      if (d.type === "file") d.append = (flags & FdFlags.APPEND) !== 0;
    }),

    fd_filestat_get: guarded((fd: number, ptr: number) => {
      const d = fds.get(fd);
      if (d.type === "file") writeFilestat(mem, ptr, { ...d.node.stat(), size: d.storage.size() });
      else if (d.type === "dir") writeFilestat(mem, ptr, d.dir.stat());
      else writeFilestat(mem, ptr, { type: d.stream.isTTY === true ? FileType.CHARACTER_DEVICE : FileType.UNKNOWN, size: 0, ino: 0n, mtimeNs: 0n });
    }),

    fd_prestat_get: guarded((fd: number, ptr: number) => {
      const d = fds.get(fd);
      if (d.type !== "dir" || d.preopenName === undefined) throw new FsError(Errno.BADF);
      mem.u32(ptr, 0); // tag: directory
      mem.u32(ptr + 4, new TextEncoder().encode(d.preopenName).length);
    }),

    fd_prestat_dir_name: guarded((fd: number, ptr: number, len: number) => {
      const d = fds.get(fd);
      if (d.type !== "dir" || d.preopenName === undefined) throw new FsError(Errno.BADF);
      const name = new TextEncoder().encode(d.preopenName);
      if (name.length > len) throw new FsError(Errno.NAMETOOLONG);
      mem.bytes(ptr, name.length).set(name);
    }),

    fd_readdir: guarded((fd: number, buf: number, bufLen: number, cookie: bigint, usedPtr: number) => {
      const d = fds.get(fd);
      if (d.type !== "dir") throw new FsError(Errno.NOTDIR);
      const out = mem.bytes(buf, bufLen);
      const names = d.dir.names();
      let used = 0;
      // Entries that do not fit are cut off; a full buffer tells wasi-libc to call again with a bigger one.
      for (const [i, child] of names.entries()) {
        if (i < Number(cookie)) continue;
        if (used >= out.length) break;
        const name = new TextEncoder().encode(child);
        const stat = d.dir.lookup(child, false)?.stat();
        const entry = new Uint8Array(24 + name.length);
        const v = new DataView(entry.buffer);
        v.setBigUint64(0, BigInt(i + 1), true);
        v.setBigUint64(8, stat?.ino ?? 0n, true);
        v.setUint32(16, name.length, true);
        v.setUint8(20, stat?.type ?? FileType.UNKNOWN);
        entry.set(name, 24);
        const n = Math.min(entry.length, out.length - used);
        out.set(entry.subarray(0, n), used);
        used += n;
      }
      mem.u32(usedPtr, used);
    }),
  };
}
