// A two-trial jsPsych 8 experiment whose data leave the participant's browser only encrypted for
// the lab's public key (opensslwrap/upload), then are POSTed to the collection server, which
// stores them and cannot read them. jsPsych and its plugin are loaded by index.html (globals).
import { encryptForUpload } from "./opensslwrap-upload.min.js";

/** The lab's public key, deployed next to this page (a lab may equally paste the PEM text here). */
const LAB_PUBLIC_KEY_URL = "lab.pub.pem";
/** Where the collection server takes bundles (same origin here; any https endpoint in a real study). */
const UPLOAD_URL = "upload";
const ATTEMPTS = 3;

const labKey = fetch(LAB_PUBLIC_KEY_URL).then((r) => {
  if (!r.ok) throw new Error(`cannot load the lab's public key: HTTP ${r.status}`);
  return r.text();
});

function status(state, text) {
  const display = jsPsych.getDisplayElement();
  display.innerHTML = "";
  const p = document.createElement("p");
  p.id = "upload-status";
  p.dataset.state = state;
  p.textContent = text;
  display.append(p);
}

/** POSTs the bundle, trying again after a pause when the network or the server fails. */
async function send(bundle) {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await fetch(UPLOAD_URL, { method: "POST", body: bundle, headers: { "Content-Type": "application/x-tar" } });
      if (r.ok) return;
      if (r.status < 500 || attempt === ATTEMPTS) throw new Error(`the server answered HTTP ${r.status}`);
    } catch (e) {
      if (attempt === ATTEMPTS) throw e;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
  }
}

const jsPsych = initJsPsych({
  on_finish: async (data) => {
    status("sending", "Encrypting and sending your responses...");
    try {
      // Everything jsPsych recorded, participant ID included, goes inside the encrypted payload.
      // The name and note are meta-data the server can read: nothing identifying there.
      const bundle = await encryptForUpload(data.json(), { publicKeys: [await labKey], name: "trials.json", note: "online-study example" });
      await send(bundle);
      status("done", "Thank you! Your responses were encrypted in this browser and sent. You may close this page.");
    } catch (e) {
      status("error", `Your responses could not be sent (${e instanceof Error ? e.message : String(e)}). Please keep this page open and contact the researchers.`);
    }
  },
});

jsPsych.data.addProperties({ participant: jsPsych.data.getURLVariable("participant") ?? "anonymous" });

const trial = (word, isColour) => ({
  type: jsPsychHtmlKeyboardResponse,
  stimulus: `<p class="word">${word}</p>`,
  prompt: "<p>Is this word a colour? Press F for yes, J for no.</p>",
  choices: ["f", "j"],
  data: { word, expected: isColour ? "f" : "j" },
  on_finish: (d) => {
    d.correct = d.response === d.expected;
  },
});

jsPsych.run([trial("RED", true), trial("TABLE", false)]);
