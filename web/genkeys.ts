/** The "Generate keys" section: an RSA key pair made in the page, and plain words on where each half goes. */
import { offer } from "./downloads.js";
import type { Output } from "./protocol.js";
import { $, text } from "./render.js";
import type { Section } from "./section.js";
import type { Page } from "./sections.js";

/** Shorter passphrases are accepted with a warning: the key file is then only as safe as a guess is hard. */
const MIN_PASSPHRASE = 12;

/** The passphrase to use ("" for none), or a one-line refusal. */
function passphrase(): { value: string; warning?: string } {
  const none = $<HTMLInputElement>("gen-nopass").checked;
  const a = $<HTMLInputElement>("gen-pass").value;
  const b = $<HTMLInputElement>("gen-pass2").value;
  if (none) return { value: "", warning: "Warning: the private key has no passphrase: whoever gets a copy of the file can decrypt every bundle made for it." };
  if (a === "") throw new Error('type a passphrase for the private key, twice (or tick "No passphrase")');
  if (a !== b) throw new Error("the two passphrases differ: type the same passphrase twice");
  if ([...a].length < MIN_PASSPHRASE) return { value: a, warning: `Warning: the passphrase has fewer than ${MIN_PASSPHRASE} characters: a short passphrase can be guessed by whoever gets a copy of the private key file.` };
  return { value: a };
}

function describe(o: Output): string {
  return o.name.endsWith(".pub.pem")
    ? "The public key: copy it to every machine that encrypts (the testing rooms). It cannot decrypt anything; anyone may see it."
    : "The private key, encrypted with your passphrase: keep it on the lab's secure machine, never on a testing-room machine, and back it up in more than one place. Without it (and its passphrase) nobody can decrypt the data: there is no recovery.";
}

export async function genkeysSection(s: Section, page: Page): Promise<void> {
  $("gen-warning").textContent = "";
  const pass = passphrase();
  const bits = Number($<HTMLSelectElement>("gen-bits").value);
  s.setProgress(0.5, `Generating an RSA-${bits} key pair (can take a minute):`);
  const r = await s.request(page.engine, "genkeys", { genkeys: { name: $<HTMLInputElement>("gen-name").value, bits, passphrase: pass.value } });
  if (r.op !== "genkeys") return;
  s.setProgress(1, "Done:");
  $("gen-warning").textContent = pass.warning ?? "";
  for (const id of ["gen-pass", "gen-pass2"]) $<HTMLInputElement>(id).value = "";
  // Two files, each its own link and no automatic download: each half goes somewhere else.
  s.present(offer(r.outputs, undefined, { intro: `A new RSA-${r.bits} key pair. Save both files now (they are not kept by this page):`, automatic: false, describe }), []);
  s.show(text("p", `Fingerprint (bundles name their recipients by it): ${r.fingerprint}`, "fingerprint"));
}

/** "No passphrase" turns the passphrase fields off. */
export function setUpGenkeys(): void {
  const none = $<HTMLInputElement>("gen-nopass");
  none.addEventListener("change", () => {
    for (const id of ["gen-pass", "gen-pass2"]) {
      const field = $<HTMLInputElement>(id);
      field.disabled = none.checked;
      if (none.checked) field.value = "";
    }
  });
}
