/**
 * What a section offers once a run is done: one automatic download (the single output, or the zip
 * of several, so that the browser never asks to allow multiple downloads), a link for each file,
 * and, where the browser has the File System Access API, "Save all to a folder".
 */
import type { Output } from "./protocol.js";
import { formatBytes } from "./render.js";

/** `showDirectoryPicker` and the bits of the handles it gives (not in every DOM typing). */
interface WritableFile {
  write(data: Blob): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}
interface FolderHandle {
  getFileHandle(name: string, o?: { create?: boolean }): Promise<{ createWritable(): Promise<WritableFile> }>;
}
type PickFolder = (o: { mode: "readwrite"; id?: string }) => Promise<FolderHandle>;
const pickFolder = (globalThis as { showDirectoryPicker?: PickFolder }).showDirectoryPicker;

/** A name in `folder` that no file has yet: "data.csv", else "data (2).csv", ... */
async function freeName(folder: FolderHandle, name: string): Promise<string> {
  const dot = name.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? name : `${stem} (${i})${ext}`;
    try {
      await folder.getFileHandle(candidate);
    } catch (e) {
      if (e instanceof DOMException && e.name === "NotFoundError") return candidate;
      throw e;
    }
  }
}

/** Writes each output into a folder the user picks, never over an existing file; the names written. */
async function saveToFolder(outputs: readonly Output[]): Promise<string[]> {
  if (pickFolder === undefined) throw new Error("this browser cannot save to a folder: use the zip or the links");
  const folder = await pickFolder({ mode: "readwrite", id: "opensslwrap" });
  const saved: string[] = [];
  for (const o of outputs) {
    const name = await freeName(folder, o.name);
    const writable = await (await folder.getFileHandle(name, { create: true })).createWritable();
    try {
      await writable.write(o.file);
      await writable.close();
    } catch (e) {
      await writable.abort().catch(() => undefined);
      throw e;
    }
    saved.push(name);
  }
  return saved;
}

function link(o: Output, urls: string[]): HTMLAnchorElement {
  const url = URL.createObjectURL(o.file);
  urls.push(url);
  const a = document.createElement("a");
  a.href = url;
  a.download = o.name;
  a.textContent = `Download ${o.name}`;
  return a;
}

export interface Offer {
  /** The nodes to show. */
  nodes: Node[];
  /** Object URLs made (to revoke). */
  urls: string[];
  /** Starts the automatic download, if any. */
  start(): void;
}

/**
 * The downloads of a run: `zip` (when several outputs) or the one output starts by itself unless
 * `automatic` is false; every output gets its own link; several get "Save all to a folder".
 */
export function offer(outputs: readonly Output[], zip: Output | undefined, o: { intro: string; automatic: boolean; describe?: (o: Output) => string }): Offer {
  const urls: string[] = [];
  const nodes: Node[] = [];
  const intro = document.createElement("p");
  intro.textContent = o.intro;
  nodes.push(intro);
  let first: HTMLAnchorElement | undefined;
  if (zip !== undefined) {
    const p = document.createElement("p");
    first = link(zip, urls);
    first.textContent = `Download all ${outputs.length} files as ${zip.name}`;
    first.className = "zip";
    p.append(first, ` (${formatBytes(zip.file.size)}, not compressed)`);
    nodes.push(p);
    if (pickFolder !== undefined) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = "Save all to a folder…";
      const status = document.createElement("span");
      status.className = "saved";
      button.addEventListener("click", () => {
        status.textContent = "";
        saveToFolder(outputs).then(
          (names) => (status.textContent = `Saved ${names.length} files: ${names.join(", ")}`),
          (e: unknown) => (status.textContent = e instanceof DOMException && e.name === "AbortError" ? "" : `Not saved: ${e instanceof Error ? e.message : String(e)}`),
        );
      });
      const row = document.createElement("p");
      row.append(button, " ", status);
      nodes.push(row);
    }
  }
  const list = document.createElement("ul");
  list.className = "downloads";
  for (const out of outputs) {
    const a = link(out, urls);
    first ??= a;
    const li = document.createElement("li");
    li.append(a, ` (${formatBytes(out.file.size)})`);
    const more = o.describe?.(out);
    if (more !== undefined) li.append(document.createElement("br"), more);
    list.append(li);
  }
  nodes.push(list);
  const auto = o.automatic ? first : undefined;
  return { nodes, urls, start: () => auto?.click() };
}
