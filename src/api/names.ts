import { safeBaseName } from "../bundle/meta.js";
import { usableName } from "../bundle/names.js";

/**
 * The default name of a decrypted file: the original's name when the bundle records one that
 * `rules` (a `process.platform` value: whose file-name rules apply, see bundle/names.ts) can use,
 * made usable if need be, with a warning saying how; else the bundle's name without `.enc`
 * (`NAME.decrypted` when it has no such ending). The one rule for every runtime: Node puts the
 * file next to the bundle, a browser offers it as a download.
 */
export function outputName(bundleName: string, recorded: string | undefined, rules: string): { name: string; warning?: string } {
  const usable = recorded === undefined ? undefined : usableName(recorded, rules);
  const warning = usable?.warning === undefined ? {} : { warning: usable.warning };
  if (usable?.name !== undefined) return { name: usable.name, ...warning };
  const base = safeBaseName(bundleName) ?? "bundle";
  return { name: base.endsWith(".enc") && base.length > 4 ? base.slice(0, -4) : `${base}.decrypted`, ...warning };
}
