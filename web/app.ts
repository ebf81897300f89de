/**
 * The page: wires forms, drop zones and the engine status. All cryptography runs in the engine
 * worker (web/worker.ts); the page never sees more of a file than its name and size. Sections:
 * sections.ts and genkeys.ts; their common parts: section.ts, downloads.ts.
 */
import { TOOL_VERSION } from "../src/version.js";
import { guardPageDrops, setUpDropZone } from "./drops.js";
import { Engine } from "./engine-client.js";
import { genkeysSection, setUpGenkeys } from "./genkeys.js";
import type { Ready } from "./protocol.js";
import { $, files } from "./render.js";
import { Section } from "./section.js";
import { decryptSection, encryptSection, infoSection, rotateSection, selftestSection, signSection, verifySection, type Page } from "./sections.js";

/** Each section: its form, the prefix of its elements, and what it does. */
const SECTIONS: [form: string, prefix: string, body: (s: Section, page: Page) => Promise<void>][] = [
  ["enc-form", "enc", encryptSection],
  ["dec-form", "dec", decryptSection],
  ["rot-form", "rot", rotateSection],
  ["gen-form", "gen", genkeysSection],
  ["info-form", "info", infoSection],
  ["sign-form", "sign", signSection],
  ["ver-form", "ver", verifySection],
  ["self-form", "self", selftestSection],
];

function describeEngine(r: Ready): string {
  const version = r.openssl.split(" (")[0] ?? r.openssl;
  const threads =
    r.threads === "second worker"
      ? "the HMAC of large files on a second worker (this page is cross-origin isolated)"
      : "the HMAC on the same worker (this page is not cross-origin isolated, so large files go slower)";
  const storage = r.storage === "memory" ? " This browser keeps results in memory: very large files may not fit." : "";
  return `Ready: ${version} (WebAssembly, integrity checked); AES by the browser's Web Crypto, ${threads}.${storage}`;
}

function main(): void {
  $("version").textContent = TOOL_VERSION;
  guardPageDrops();
  for (const input of document.querySelectorAll<HTMLInputElement>("input[type=file]")) setUpDropZone(input);
  setUpGenkeys();

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
      status.dataset["threads"] = r.threads;
      status.textContent = describeEngine(r);
    },
    (e: unknown) => {
      status.dataset["state"] = "error";
      status.textContent = `The encryption engine did not start: ${e instanceof Error ? e.message : String(e)}`;
    },
  );
  const page: Page = { engine, choice: () => ($<HTMLInputElement>("engine-wasm").checked ? "wasm" : "auto") };

  const release = (ids: string[]) => void engine.request("release", { ids }).catch(() => undefined);
  const sections = new Map<string, Section>();
  for (const [formId, prefix, body] of SECTIONS) {
    const s = new Section(prefix, release);
    sections.set(prefix, s);
    const form = $(formId);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void s.run(() => body(s, page));
    });
    // New input makes the last result (and its download link) stale: it goes, with its stored copy.
    form.addEventListener("change", (e) => {
      if (e.target instanceof HTMLInputElement && e.target.type === "file") s.clear();
    });
  }
  window.addEventListener("pagehide", () => sections.forEach((s) => s.forgetDownloads()));

  const info = sections.get("info");
  $("info-bundle").addEventListener("change", () => {
    if (info !== undefined && files("info-bundle").length > 0) void info.run(() => infoSection(info, page));
  });
}

main();
