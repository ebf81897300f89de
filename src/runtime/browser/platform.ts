/**
 * Runtime and browser for the meta-data, e.g. "browser Chrome/126.0 Linux x86_64". On its own
 * (no imports) so that the light upload encryptor can record it without the engine.
 */
export function browserPlatform(): string {
  const ua = globalThis.navigator?.userAgent ?? "";
  const engine = /(Firefox|Edg|OPR|Chrome)\/[\d.]+/.exec(ua)?.[0] ?? (/Version\/([\d.]+).*Safari/.exec(ua) !== null ? `Safari/${/Version\/([\d.]+)/.exec(ua)?.[1] ?? ""}` : "unknown");
  const os = (globalThis.navigator as { platform?: string } | undefined)?.platform ?? "";
  return `browser ${engine}${os === "" ? "" : ` ${os}`}`;
}
