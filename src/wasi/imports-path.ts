import { Errno, FsError, LookupFlags, OFlags, Rights } from "./errno.js";
import type { DescriptorTable } from "./descriptors.js";
import type { GuestMemory } from "./guest-memory.js";
import { guarded } from "./guard.js";
import type { DirNode } from "./nodes.js";
import { lookup, resolveParent } from "./paths.js";
import { writeFilestat } from "./stat.js";

/** The folder to resolve a guest path from, and the path: a preopen may map it first (Preopen.mapPath). */
function base(fds: DescriptorTable, fd: number, path: string): { dir: DirNode; path: string } {
  const d = fds.get(fd);
  if (d.type !== "dir") throw new FsError(Errno.NOTDIR);
  return d.mapPath?.(path) ?? { dir: d.dir, path };
}

/** path_* calls: opening, describing, renaming and removing by name below a folder descriptor. */
export function pathImports(mem: GuestMemory, fds: DescriptorTable) {
  const at = (fd: number, ptr: number, len: number) => {
    const b = base(fds, fd, mem.string(ptr, len));
    return resolveParent(b.dir, b.path);
  };

  return {
    path_open: guarded(
      (
        dirFd: number,
        lookupFlags: number,
        pathPtr: number,
        pathLen: number,
        oflags: number,
        rightsBase: bigint,
        _rightsInheriting: bigint,
        fdFlags: number,
        resultPtr: number,
      ) => {
        const { parent, name } = at(dirFd, pathPtr, pathLen);
        const follow = (lookupFlags & LookupFlags.SYMLINK_FOLLOW) !== 0;
        let node = name === "." ? parent : parent.lookup(name, follow);
        if (node === undefined) {
          if ((oflags & OFlags.CREAT) === 0) throw new FsError(Errno.NOENT);
          node = parent.createFile(name);
        } else if ((oflags & OFlags.CREAT) !== 0 && (oflags & OFlags.EXCL) !== 0) {
          throw new FsError(Errno.EXIST);
        }
        const readable = (rightsBase & Rights.FD_READ) !== 0n;
        const writable = (rightsBase & Rights.FD_WRITE) !== 0n;
        if (node.kind === "dir") {
          if (writable) throw new FsError(Errno.ISDIR);
          mem.u32(resultPtr, fds.add({ type: "dir", dir: node }));
          return;
        }
        if ((oflags & OFlags.DIRECTORY) !== 0) throw new FsError(Errno.NOTDIR);
        const truncate = (oflags & OFlags.TRUNC) !== 0;
        const storage = node.open({ read: readable, write: writable || truncate });
        // As POSIX does: O_TRUNC empties regular files only; /dev/null or a pipe opens as it is.
        if (truncate && storage.special === undefined) storage.truncate(0);
        const append = (fdFlags & 1) !== 0;
        mem.u32(resultPtr, fds.add({ type: "file", node, storage, position: 0, readable, writable, append }));
      },
    ),

    path_filestat_get: guarded((fd: number, lookupFlags: number, pathPtr: number, pathLen: number, ptr: number) => {
      const b = base(fds, fd, mem.string(pathPtr, pathLen));
      const node = lookup(b.dir, b.path, (lookupFlags & LookupFlags.SYMLINK_FOLLOW) !== 0);
      if (node === undefined) throw new FsError(Errno.NOENT);
      writeFilestat(mem, ptr, node.stat());
    }),

    path_unlink_file: guarded((fd: number, pathPtr: number, pathLen: number) => {
      const { parent, name } = at(fd, pathPtr, pathLen);
      const node = parent.lookup(name, false);
      if (node === undefined) throw new FsError(Errno.NOENT);
      if (node.kind === "dir") throw new FsError(Errno.ISDIR);
      parent.remove(name);
    }),

    path_rename: guarded((fd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) => {
      const from = at(fd, oldPtr, oldLen);
      const to = at(newFd, newPtr, newLen);
      from.parent.rename(from.name, to.parent, to.name);
    }),

    path_readlink: guarded((fd: number, pathPtr: number, pathLen: number, buf: number, bufLen: number, usedPtr: number) => {
      const { parent, name } = at(fd, pathPtr, pathLen);
      const target = new TextEncoder().encode(parent.readlink(name));
      const n = Math.min(target.length, bufLen >>> 0);
      mem.bytes(buf, n).set(target.subarray(0, n));
      mem.u32(usedPtr, n);
    }),

    path_symlink: guarded((targetPtr: number, targetLen: number, fd: number, pathPtr: number, pathLen: number) => {
      const { parent, name } = at(fd, pathPtr, pathLen);
      parent.symlink(mem.string(targetPtr, targetLen), name);
    }),
  };
}
