import * as fs from "node:fs";
import type { InputStream, OutputStream } from "../../wasi/index.js";

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Retries a synchronous call on a non-blocking descriptor until it stops saying EAGAIN. */
function blocking<T>(call: () => T): T {
  for (;;) {
    try {
      return call();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}

/** The process's own standard input, read synchronously as the guest asks for it. */
export function hostInput(fd = 0): InputStream {
  return {
    isTTY: process.stdin.isTTY === true,
    read(dst) {
      try {
        return blocking(() => fs.readSync(fd, dst, 0, dst.length, null));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EOF") return 0;
        throw e;
      }
    },
  };
}

/** The process's standard output or error, written synchronously. */
export function hostOutput(fd: 1 | 2): OutputStream {
  return {
    isTTY: (fd === 1 ? process.stdout : process.stderr).isTTY === true,
    write(chunk) {
      let done = 0;
      while (done < chunk.length) done += blocking(() => fs.writeSync(fd, chunk, done, chunk.length - done));
    },
  };
}
