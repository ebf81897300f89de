export { Errno, FsError, FileType } from "./errno.js";
export type { InputStream, OutputStream } from "./descriptors.js";
export type { FileNode, DirNode, FileStorage, NodeStat, OpenMode, Node, SpecialFile } from "./nodes.js";
export { MemoryDirectory, MemoryFile } from "./memory-fs.js";
export { HostDirectory, HostFile, type HostFs, type HostStat } from "./host-fs.js";
export { ProcExit, systemClock, systemRandom, type Clock, type RandomSource } from "./imports-process.js";
export { runWasi, providedImports, type Preopen, type RunOptions } from "./run.js";
export type { PathMapper } from "./paths.js";
