import type { Context } from "../bundle/context.js";
import { isLegacySource, readLegacy, type LegacyInfo } from "../bundle/legacy.js";
import type { Meta } from "../bundle/meta.js";
import type { ByteSource } from "../bundle/tar.js";
import { openBundle, type OpenedBundle } from "../bundle/v2.js";
import type { BundleSource } from "./decrypt.js";
import { checkSigners, readKeys, type PublicKeyInput, type SignatureCheck } from "./signatures.js";

/** A bundle's meta-data; with `signers` asked for, `signatures`: each one's signature checked, in the order given. */
export type BundleInfo = ({ format: 2; meta: Meta; recipients: string[]; signers: string[] } | { format: "legacy"; info: LegacyInfo }) & { signatures?: SignatureCheck[] };

export interface ReadMetaOptions {
  /** Keys whose signatures to check (PEM or DER bytes, or keys from `readPublicKey`); one pass over the payload per key. */
  signers?: readonly PublicKeyInput[];
}

/** The meta-data of a bundle, no key needed (a legacy bundle, gzip, is read whole). */
export async function readMetaFrom(ctx: Context, bundle: Pick<BundleSource, "source" | "whole">, o: ReadMetaOptions = {}): Promise<BundleInfo> {
  const signers = await readKeys(ctx, o.signers ?? []);
  const checked = async (b: OpenedBundle | undefined) => (signers.length === 0 ? {} : { signatures: await checkSigners(ctx, b, signers) });
  const source: ByteSource = bundle.source;
  if (isLegacySource(source)) return { format: "legacy", info: await readLegacy(await bundle.whole()), ...(await checked(undefined)) };
  const b = await openBundle(ctx, source);
  return { format: 2, meta: b.meta, recipients: b.header.recipients, signers: b.header.signers, ...(await checked(b)) };
}
