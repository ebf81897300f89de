import type { Context } from "../bundle/context.js";
import { isLegacySource, readLegacy, type LegacyInfo } from "../bundle/legacy.js";
import type { Meta } from "../bundle/meta.js";
import type { ByteSource } from "../bundle/tar.js";
import { openBundle } from "../bundle/v2.js";
import type { BundleSource } from "./decrypt.js";

export type BundleInfo = { format: 2; meta: Meta; recipients: string[]; signers: string[] } | { format: "legacy"; info: LegacyInfo };

/** The meta-data of a bundle, no key needed (a legacy bundle, gzip, is read whole). */
export async function readMetaFrom(ctx: Context, bundle: Pick<BundleSource, "source" | "whole">): Promise<BundleInfo> {
  const source: ByteSource = bundle.source;
  if (isLegacySource(source)) return { format: "legacy", info: await readLegacy(await bundle.whole()) };
  const b = await openBundle(ctx, source);
  return { format: 2, meta: b.meta, recipients: b.header.recipients, signers: b.header.signers };
}
