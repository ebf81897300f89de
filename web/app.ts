/**
 * The page: forms, drop zones, progress and downloads. All cryptography runs in the engine worker
 * (web/worker.ts); this file never sees more of a file than its name and size.
 */
import { TOOL_VERSION } from "../src/version.js";
import type { Op, Output, ProgressMessage, Request, Response, Result } from "./protocol.js";

/** A failure reported by the worker, with the typed error's name (e.g. "PassphraseError"). */
class EngineError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Pending {
  resolve(result: Result): void;
  reject(error: Error): void;
  onProgress?: (p: ProgressMessage) => void;
}

/** The engine worker, one request at a time (the worker queues them). */
class Engine {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  readonly ready: Promise<{ openssl: string; storage: "opfs" | "memory" }>;

  constructor() {
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module", name: "opensslwrap-engine" });
    let started: (v: { openssl: string; storage: "opfs" | "memory" }) => void = () => undefined;
    let failed: (e: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    this.worker.onmessage = (event: MessageEvent<Response>) => {
      const m = event.data;
      if ("ready" in m) return started(m.ready);
      const p = this.pending.get(m.id);
      if ("error" in m) {
        const e = new EngineError(m.error.name, m.error.message);
        if (m.id === 0) return failed(e);
        this.pending.delete(m.id);
        return p?.reject(e);
      }
      if ("progress" in m) return p?.onProgress?.(m.progress);
      this.pending.delete(m.id);
      p?.resolve(m.result);
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      const e = new Error(`the encryption engine could not start${event.message ? `: ${event.message}` : ""}`);
      failed(e);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
  }

  request(op: Op, fields: Omit<Request, "id" | "op">, onProgress?: (p: ProgressMessage) => void): Promise<Result> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, op, ...fields } satisfies Request);
    });
  }
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page element #${id} is missing`);
  return el as T;
};

const files = (id: string): File[] => Array.from($<HTMLInputElement>(id).files ?? []);

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u] ?? "TB"}`;
}

/** Drop zones: a large label around a file input; dropping sets the input's files. */
function setUpDropZone(input: HTMLInputElement): void {
  const zone = input.closest<HTMLElement>(".drop");
  const chosen = document.getElementById(`${input.id}-chosen`);
  const show = () => {
    const list = Array.from(input.files ?? []);
    if (chosen !== null) chosen.textContent = list.length === 0 ? "" : list.map((f) => `${f.name} (${formatBytes(f.size)})`).join(", ");
    zone?.classList.toggle("has-files", list.length > 0);
  };
  input.addEventListener("change", show);
  if (zone === null) return;
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    if (e.dataTransfer !== null) e.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    const dropped = Array.from(e.dataTransfer?.files ?? []);
    if (dropped.length === 0) return;
    const dt = new DataTransfer();
    for (const f of input.multiple ? dropped : dropped.slice(0, 1)) dt.items.add(f);
    input.files = dt.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

/** Files dropped outside a zone would make the browser open them (and leave the page). */
function guardPageDrops(): void {
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (e) => {
      if (!(e.target instanceof Element && e.target.closest(".drop") !== null)) e.preventDefault();
    });
  }
}

/** One section's status elements, progress bar and the downloads it offers. */
class Section {
  private readonly error: HTMLElement;
  private readonly result: HTMLElement;
  private readonly button: HTMLButtonElement;
  private readonly progressBox: HTMLElement | null;
  private readonly progress: HTMLProgressElement | null;
  private readonly progressText: HTMLElement | null;
  private downloads: { url: string; id: string }[] = [];

  constructor(
    readonly prefix: string,
    private readonly release: (ids: string[]) => void,
  ) {
    this.error = $(`${prefix}-error`);
    this.result = $(`${prefix}-result`);
    this.button = $<HTMLButtonElement>(`${prefix}-go`);
    this.progressBox = document.getElementById(`${prefix}-progress-box`);
    this.progress = document.getElementById(`${prefix}-progress`) as HTMLProgressElement | null;
    this.progressText = document.getElementById(`${prefix}-progress-text`);
  }

  /** Runs `body` with the button disabled; shows its failure as one line. */
  async run(body: () => Promise<void>): Promise<void> {
    this.clear();
    this.button.disabled = true;
    this.button.setAttribute("aria-busy", "true");
    try {
      await body();
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
      if (this.progressBox !== null) this.progressBox.hidden = true;
    } finally {
      this.button.disabled = false;
      this.button.removeAttribute("aria-busy");
    }
  }

  fail(message: string): void {
    this.error.textContent = message;
  }

  clear(): void {
    this.error.textContent = "";
    this.result.replaceChildren();
    this.forgetDownloads();
    if (this.progressBox !== null) this.progressBox.hidden = true;
  }

  setProgress(fraction: number, label: string): void {
    if (this.progress === null || this.progressBox === null || this.progressText === null) return;
    this.progressBox.hidden = false;
    const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    if (pct !== this.progress.value) this.progress.value = pct;
    this.progressText.textContent = `${label} ${pct}%`;
  }

  show(...nodes: Node[]): void {
    this.result.append(...nodes);
  }

  /** Offers each output as a download link and starts the downloads. */
  offer(outputs: readonly Output[], intro: string): void {
    const p = document.createElement("p");
    p.textContent = intro;
    const list = document.createElement("ul");
    list.className = "downloads";
    const links: HTMLAnchorElement[] = [];
    for (const o of outputs) {
      const url = URL.createObjectURL(o.file);
      this.downloads.push({ url, id: o.id });
      const a = document.createElement("a");
      a.href = url;
      a.download = o.name;
      a.textContent = `Download ${o.name}`;
      const li = document.createElement("li");
      li.append(a, ` (${formatBytes(o.file.size)})`);
      list.append(li);
      links.push(a);
    }
    this.show(p, list);
    for (const a of links) a.click();
  }

  /** Revokes earlier download links and lets the worker delete their stored copies. */
  forgetDownloads(): void {
    for (const d of this.downloads) URL.revokeObjectURL(d.url);
    const ids = this.downloads.map((d) => d.id).filter((id) => id !== "");
    this.downloads = [];
    if (ids.length > 0) this.release(ids);
  }
}

const LABELS: Record<string, string> = {
  encrypting: "Encrypting",
  checking: "Checking",
  decrypting: "Decrypting",
};

/** Maps the worker's progress messages to one bar over all files of a request. */
function progressBar(section: Section, names: readonly string[]) {
  return (p: ProgressMessage) => {
    const fileIndex = Math.max(0, names.indexOf(p.file));
    const within = p.total === 0 ? 1 : p.done / p.total;
    const of = names.length > 1 ? ` (file ${fileIndex + 1} of ${names.length})` : "";
    section.setProgress((fileIndex + within) / Math.max(1, names.length), `${LABELS[p.phase] ?? p.phase} ${p.file}${of}:`);
  };
}

function text(tag: string, content: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className !== undefined) el.className = className;
  return el;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The info verb's answer as a definition list, and the raw meta-data. */
function renderInfo(info: unknown): Node[] {
  const dl = document.createElement("dl");
  const row = (term: string, value: unknown) => {
    if (value === undefined || value === null || value === "") return;
    dl.append(text("dt", term), text("dd", typeof value === "string" ? value : JSON.stringify(value)));
  };
  if (!isObject(info)) return [text("p", "No meta-data.")];
  if (info["format"] === "legacy" && isObject(info["info"])) {
    const l = info["info"];
    row("Format", `${String(l["layout"])} (earlier layout, read-only)`);
    row("Original name", l["originalName"]);
    row("Encrypted with", l["opensslVersion"]);
    const raw = typeof l["metaText"] === "string" ? l["metaText"] : "";
    return [dl, details("Meta-data as stored", raw === "" ? "(none)" : raw)];
  }
  const meta = isObject(info["meta"]) ? info["meta"] : {};
  const file = isObject(meta["file"]) ? meta["file"] : {};
  row("Format", "opensslwrap bundle v2 (AES-256-CTR, HMAC-SHA256, RSA-OAEP-SHA256)");
  row("Original name", file["name"]);
  if (typeof file["size"] === "number") row("Size", `${formatBytes(file["size"])} (${file["size"]} bytes)`);
  row("Created", meta["created"]);
  row("Note", meta["note"]);
  const recipients = Array.isArray(meta["recipients"]) ? meta["recipients"] : [];
  const fingerprints = Array.isArray(info["recipients"]) ? (info["recipients"] as unknown[]) : [];
  fingerprints.forEach((fp, i) => {
    const r: unknown = recipients[i];
    const bits = isObject(r) && typeof r["bits"] === "number" ? ` (RSA ${r["bits"]} bits)` : "";
    row(`Recipient ${i + 1}`, `${String(fp)}${bits}`);
  });
  const signers = Array.isArray(info["signers"]) ? (info["signers"] as unknown[]) : [];
  signers.forEach((fp, i) => row(`Signer ${i + 1}`, String(fp)));
  row("Tool", meta["tool"]);
  row("Engine", meta["openssl"]);
  row("Platform", meta["platform"]);
  if (Array.isArray(meta["history"])) row("Earlier encryptions", String(meta["history"].length));
  return [dl, details("All meta-data (JSON)", JSON.stringify(meta, null, 2))];
}

function details(summary: string, body: string): HTMLElement {
  const d = document.createElement("details");
  d.append(text("summary", summary), text("pre", body));
  return d;
}

function main(): void {
  $("version").textContent = TOOL_VERSION;
  guardPageDrops();
  for (const input of document.querySelectorAll<HTMLInputElement>("input[type=file]")) setUpDropZone(input);

  const status = $("engine");
  if (!window.isSecureContext) {
    status.dataset["state"] = "error";
    status.textContent = "This page must be opened over https:// or from http://127.0.0.1 (for example with `opensslwrap serve`): browsers allow its cryptography only there.";
    return;
  }
  const engine = new Engine();
  engine.ready.then(
    (r) => {
      status.dataset["state"] = "ready";
      status.dataset["storage"] = r.storage;
      status.textContent = `Ready: ${r.openssl.split(" (")[0] ?? r.openssl} (WebAssembly, integrity checked).${r.storage === "memory" ? " This browser keeps results in memory: very large files may not fit." : ""}`;
    },
    (e: unknown) => {
      status.dataset["state"] = "error";
      status.textContent = `The encryption engine did not start: ${e instanceof Error ? e.message : String(e)}`;
    },
  );

  const release = (ids: string[]) => void engine.request("release", { ids }).catch(() => undefined);
  const sections = new Map<string, Section>();
  const section = (prefix: string): Section => {
    let s = sections.get(prefix);
    if (s === undefined) sections.set(prefix, (s = new Section(prefix, release)));
    return s;
  };
  window.addEventListener("pagehide", () => sections.forEach((s) => s.forgetDownloads()));

  const onSubmit = (formId: string, prefix: string, body: (s: Section) => Promise<void>) => {
    $(formId).addEventListener("submit", (e) => {
      e.preventDefault();
      const s = section(prefix);
      void s.run(() => body(s));
    });
  };

  onSubmit("enc-form", "enc", async (s) => {
    const data = files("enc-files");
    const keys = files("enc-keys");
    if (data.length === 0) throw new Error("choose the data file(s) to encrypt");
    if (keys.length === 0) throw new Error("choose the public key file(s)");
    const note = $<HTMLInputElement>("enc-note").value.trim();
    s.setProgress(0, `Encrypting ${data[0]?.name ?? ""}:`);
    const r = await engine.request(
      "encrypt",
      { files: data, keys, options: { keepName: $<HTMLInputElement>("enc-keep-name").checked, keepDate: $<HTMLInputElement>("enc-keep-date").checked, note } },
      progressBar(s, data.map((f) => f.name)),
    );
    if (r.op !== "encrypt") return;
    s.setProgress(1, "Done:");
    $("enc-warning").textContent = r.warnings.map((w) => `Warning: ${w}`).join(" ");
    s.offer(r.outputs, r.outputs.length === 1 ? "Encrypted and checked. Your download should start; if not, use the link:" : "Encrypted and checked. Your downloads should start; if not, use the links:");
  });
  $("enc-form").addEventListener("submit", () => ($("enc-warning").textContent = ""), { capture: true });

  onSubmit("dec-form", "dec", async (s) => {
    const [bundle] = files("dec-bundle");
    const keys = files("dec-key");
    if (bundle === undefined) throw new Error("choose the bundle (.enc) to decrypt");
    if (keys.length === 0) throw new Error("choose your private key file");
    s.setProgress(0, `Checking ${bundle.name}:`);
    const r = await engine.request("decrypt", { files: [bundle], keys, passphrase: $<HTMLInputElement>("dec-pass").value }, progressBar(s, [bundle.name]));
    if (r.op !== "decrypt") return;
    s.setProgress(1, "Done:");
    s.offer(r.outputs, "Integrity verified and decrypted. Your download should start; if not, use the link:");
  });

  const showInfo = (s: Section) => async () => {
    const [bundle] = files("info-bundle");
    if (bundle === undefined) throw new Error("choose a bundle (.enc)");
    const r = await engine.request("info", { files: [bundle] });
    if (r.op === "info") s.show(...renderInfo(r.info));
  };
  onSubmit("info-form", "info", (s) => showInfo(s)());
  $("info-bundle").addEventListener("change", () => {
    if (files("info-bundle").length > 0) void section("info").run(showInfo(section("info")));
  });

  onSubmit("sign-form", "sign", async (s) => {
    const [file] = files("sign-file");
    const keys = files("sign-key");
    if (file === undefined) throw new Error("choose the file to sign");
    if (keys.length === 0) throw new Error("choose your private key file");
    const r = await engine.request("sign", { files: [file], keys, passphrase: $<HTMLInputElement>("sign-pass").value });
    if (r.op === "sign") s.offer(r.outputs, "Signed. Your download should start; if not, use the link:");
  });

  onSubmit("ver-form", "ver", async (s) => {
    const [file] = files("ver-file");
    const [key] = files("ver-key");
    const [sig] = files("ver-sig");
    if (file === undefined) throw new Error("choose the signed file");
    if (key === undefined) throw new Error("choose the signer's public key file");
    if (sig === undefined) throw new Error("choose the signature (.sig) file");
    const r = await engine.request("verify", { files: [file, sig], keys: [key] });
    if (r.op !== "verify") return;
    s.show(
      r.verified
        ? text("p", `verified: ${file.name} is exactly what the key's holder signed`, "verdict ok")
        : text("p", `NOT verified: ${r.reason ?? `${file.name} was changed, or was not signed with this key`}`, "verdict bad"),
    );
  });

  onSubmit("self-form", "self", async (s) => {
    const r = await engine.request("selftest", {});
    if (r.op === "selftest") s.show(document.createTextNode(r.lines.join("\n")));
  });
}

main();
