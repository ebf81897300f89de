/** What each section of the page does when its form is sent (key generation: genkeys.ts). */
import type { Engine } from "./engine-client.js";
import { offer } from "./downloads.js";
import type { EngineChoice, Outputs } from "./protocol.js";
import { $, files, renderInfo, text } from "./render.js";
import type { Section } from "./section.js";

/** What a section's handler is given. */
export interface Page {
  engine: Engine;
  /** The bulk engine the user chose ("wasm": only the WebAssembly engine). */
  choice(): EngineChoice;
}

const value = (id: string) => $<HTMLInputElement>(id).value;

/** The outcome of a run over several files: the failures, one line each (named, unless the line names its file), and the downloads. */
function finish(s: Section, r: Outputs, done: string, several: number): void {
  if (r.failed.length > 0) s.fail(r.failed.map((f) => (several > 1 && !f.message.startsWith(f.file) ? `${f.file}: ${f.message}` : f.message)));
  if (r.outputs.length === 0) return;
  s.setProgress(1, "Done:");
  const count = r.outputs.length === 1 ? "" : ` ${r.outputs.length} files`;
  const next = r.zip !== undefined ? "The zip of all files should download now; if not, use its link, or save each file:" : "Your download should start; if not, use the link:";
  s.present(offer(r.outputs, r.zip, { intro: `${done}${count}. ${next}`, automatic: true }), r.outputs.map((o) => o.id));
}

function chosen(id: string, what: string): File[] {
  const list = files(id);
  if (list.length === 0) throw new Error(`choose ${what}`);
  return list;
}

export async function encryptSection(s: Section, page: Page): Promise<void> {
  $("enc-warning").textContent = "";
  const data = chosen("enc-files", "the data file(s) to encrypt");
  const keys = chosen("enc-keys", "the public key file(s)");
  const options = { keepName: $<HTMLInputElement>("enc-keep-name").checked, keepDate: $<HTMLInputElement>("enc-keep-date").checked, note: value("enc-note").trim() };
  s.setProgress(0, `Encrypting ${data[0]?.name ?? ""}:`);
  const r = await s.request(page.engine, "encrypt", { files: data, keys, options, engine: page.choice() }, data.map((f) => f.name));
  if (r.op !== "encrypt") return;
  $("enc-warning").textContent = r.warnings.map((w) => `Warning: ${w}`).join(" ");
  finish(s, r, "Encrypted and checked", data.length);
}

export async function decryptSection(s: Section, page: Page): Promise<void> {
  const bundles = chosen("dec-bundle", "the bundle(s) (.enc) to decrypt");
  const keys = chosen("dec-key", "your private key file");
  s.setProgress(0, `Decrypting ${bundles[0]?.name ?? ""}:`);
  const signers = files("dec-signers");
  const r = await s.request(page.engine, "decrypt", { files: bundles, keys, signers, passphrase: value("dec-pass"), engine: page.choice() }, bundles.map((f) => f.name));
  if (r.op === "decrypt") finish(s, r, "Integrity verified and decrypted", bundles.length);
}

export async function rotateSection(s: Section, page: Page): Promise<void> {
  const bundles = chosen("rot-bundle", "the bundle(s) (.enc) to rotate");
  const keys = chosen("rot-key", "your (old) private key file");
  const newKeys = chosen("rot-newkeys", "the new public key file(s)");
  s.setProgress(0, `Rotating ${bundles[0]?.name ?? ""}:`);
  const r = await s.request(page.engine, "rotate", { files: bundles, keys, newKeys, passphrase: value("rot-pass"), engine: page.choice() }, bundles.map((f) => f.name));
  if (r.op !== "rotate") return;
  $("rot-warning").textContent = r.warnings.map((w) => `Warning: ${w}`).join(" ");
  finish(s, r, "Re-encrypted for the new key(s) and checked", bundles.length);
  if (r.details.length > 0) s.show(...r.details.map((d) => text("p", d, "detail")));
}

export async function infoSection(s: Section, page: Page): Promise<void> {
  const [bundle] = chosen("info-bundle", "a bundle (.enc)");
  const r = await s.request(page.engine, "info", { files: bundle === undefined ? [] : [bundle] });
  if (r.op === "info") s.show(...renderInfo(r.info));
}

export async function signSection(s: Section, page: Page): Promise<void> {
  const [file] = chosen("sign-file", "the file to sign");
  const keys = chosen("sign-key", "your private key file");
  const r = await s.request(page.engine, "sign", { files: file === undefined ? [] : [file], keys, passphrase: value("sign-pass") });
  if (r.op === "sign") s.present(offer(r.outputs, undefined, { intro: "Signed. Your download should start; if not, use the link:", automatic: true }), []);
}

export async function verifySection(s: Section, page: Page): Promise<void> {
  const [file] = chosen("ver-file", "the signed file");
  const [key] = chosen("ver-key", "the signer's public key file");
  const [sig] = chosen("ver-sig", "the signature (.sig) file");
  if (file === undefined || key === undefined || sig === undefined) return;
  const r = await s.request(page.engine, "verify", { files: [file, sig], keys: [key] });
  if (r.op !== "verify") return;
  s.show(
    r.verified
      ? text("p", `verified: ${file.name} is exactly what the key's holder signed`, "verdict ok")
      : text("p", `NOT verified: ${r.reason ?? `${file.name} was changed, or was not signed with this key`}`, "verdict bad"),
  );
}

export async function selftestSection(s: Section, page: Page): Promise<void> {
  const r = await s.request(page.engine, "selftest", {});
  if (r.op === "selftest") s.show(document.createTextNode(r.lines.join("\n")));
}
