// The golden vector under Deno, on the built package: prints {hashes, bundle (base64)} as JSON.
import { encryptBytes } from "../../dist/index.js";
import { runOpenSSL } from "../../dist/openssl-api.js";
import { setTestSource } from "../../dist/openssl/test-seam.js";
import { computeGolden } from "./vector.ts";

const r = await computeGolden({ encryptBytes, runOpenSSL, setTestSource });
let binary = "";
for (const b of r.bundle) binary += String.fromCharCode(b);
console.log(JSON.stringify({ hashes: r.hashes, bundle: btoa(binary) }));
