// The benches' input files: the same bytes for the same size, made quickly (not random: a hash of
// the position, so that no filesystem or cipher shortcut applies to runs of equal bytes).
import * as fs from "node:fs";

const MIB = 1 << 20;

export function makeFile(file, size) {
  const chunk = Buffer.alloc(Math.min(size, 8 * MIB));
  for (let i = 0; i + 4 <= chunk.length; i += 4) chunk.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
  const fd = fs.openSync(file, "w");
  for (let done = 0; done < size; done += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, size - done));
  fs.closeSync(fd);
}
