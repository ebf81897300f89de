import type { StreamReader } from "../../bundle/views.js";

/**
 * `blob` from `from` up to `to` by `Blob.arrayBuffer()` of one `window` of bytes after another, the
 * next one asked for as soon as this one is handed out. Not `Blob.stream()`: in Chromium, after a
 * big File's stream (cancelled part way or read to the end), a later stream's read could stay
 * pending for good while the worker ran on, and the next run hung. Each window's bytes are zeroed
 * once copied (they may be plaintext).
 */
export function blobWindows(blob: Blob, from: number, to: number, window: number, unreadable: (e: unknown) => Error): StreamReader {
  let next = from;
  const ask = (): Promise<ArrayBuffer> | undefined => {
    if (next >= to) return undefined;
    const want = Math.min(window, to - next);
    const bytes = blob
      .slice(next, next + want)
      .arrayBuffer()
      .then(
        (buffer) => {
          if (buffer.byteLength !== want) throw new Error("the file changed while it was being read");
          return buffer;
        },
        (e: unknown) => {
          throw unreadable(e);
        },
      );
    bytes.catch(() => undefined); // awaited by the next read, or dropped by cancel
    next += want;
    return bytes;
  };
  let ahead = ask();
  let left = new Uint8Array(0);
  return {
    read: async (into) => {
      if (left.length === 0) {
        if (ahead === undefined) return into.subarray(0, 0);
        left = new Uint8Array(await ahead);
        ahead = ask();
      }
      const n = Math.min(into.length, left.length);
      into.set(left.subarray(0, n));
      left.fill(0, 0, n);
      left = left.subarray(n);
      return into.subarray(0, n);
    },
    cancel: async () => {
      left.fill(0);
      left = new Uint8Array(0);
      next = to;
      const pending = ahead;
      ahead = undefined;
      const buffer = await pending?.catch(() => undefined);
      if (buffer !== undefined) new Uint8Array(buffer).fill(0);
    },
  };
}
