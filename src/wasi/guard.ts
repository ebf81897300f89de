import { Errno, FsError } from "./errno.js";

/** Turns a thrown `FsError` into the errno the guest expects; anything else is a host bug and propagates. */
export function guarded<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => number {
  return (...args: A) => {
    try {
      fn(...args);
      return Errno.SUCCESS;
    } catch (e) {
      if (e instanceof FsError) return e.errno;
      throw e;
    }
  };
}
