import { safeBaseName } from "../bundle/meta.js";

/**
 * The default name of a decrypted file: the original's base name when the bundle records a usable
 * one, else the bundle's name without `.enc` (`NAME.decrypted` when it has no such ending). The
 * one rule for every runtime; Node puts the file next to the bundle, a browser offers it as a download.
 */
export function outputName(bundleName: string, recorded: string | undefined): string {
  const name = recorded === undefined ? undefined : safeBaseName(recorded);
  if (name !== undefined) return name;
  const base = safeBaseName(bundleName) ?? "bundle";
  return base.endsWith(".enc") && base.length > 4 ? base.slice(0, -4) : `${base}.decrypted`;
}
