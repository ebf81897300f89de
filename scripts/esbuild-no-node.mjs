// An esbuild plugin shared by the browser builds (build-web.mjs, build-upload.mjs).
import { builtinModules } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Refuses Node built-ins (node:fs, fs, path, ...) in a browser bundle, naming the importer. */
const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
export const noNode = {
  name: "no-node-imports",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.path.startsWith("node:") || nodeBuiltins.has(args.path)) {
        return { errors: [{ text: `Node module "${args.path}" imported by ${path.relative(root, args.importer)}: browser bundles must stay runtime-neutral` }] };
      }
      return undefined;
    });
  },
};
