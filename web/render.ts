/** Small DOM helpers of the page, and the info verb's answer as a definition list. */

export const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page element #${id} is missing`);
  return el as T;
};

export const files = (id: string): File[] => Array.from($<HTMLInputElement>(id).files ?? []);

/** "1 byte", "512 bytes", "1.5 MB" (decimal units, as file managers show them). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} ${n === 1 ? "byte" : "bytes"}`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u] ?? "TB"}`;
}

export function text(tag: string, content: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className !== undefined) el.className = className;
  return el;
}

export function details(summary: string, body: string): HTMLElement {
  const d = document.createElement("details");
  d.append(text("summary", summary), text("pre", body));
  return d;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The info verb's answer as a definition list, and the raw meta-data. */
export function renderInfo(info: unknown): Node[] {
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
  if (typeof file["size"] === "number") row("Size", `${formatBytes(file["size"])} (${file["size"]} ${file["size"] === 1 ? "byte" : "bytes"})`);
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
  signers.forEach((fp, i) => row(`Signer ${i + 1}`, `${String(fp)} (signature not verified)`));
  row("Tool", meta["tool"]);
  row("Engine", meta["openssl"]);
  row("Platform", meta["platform"]);
  if (Array.isArray(meta["history"])) {
    meta["history"].forEach((h: unknown, i) => {
      const before = isObject(h) && Array.isArray(h["recipients"]) ? h["recipients"].map((r: unknown) => (isObject(r) ? String(r["fingerprint"]) : "")).join(", ") : "";
      row(`Earlier encryption ${i + 1}`, `for ${before || "(not recorded)"}${isObject(h) && typeof h["rotated"] === "string" ? `, until ${h["rotated"]}` : ""}`);
    });
  }
  return [dl, details("All meta-data (JSON)", JSON.stringify(meta, null, 2))];
}
