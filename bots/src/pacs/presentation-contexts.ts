import { describeTransferSyntax, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, isLittleEndianUncompressed } from './transfer-syntaxes.ts';

/**
 * What the driver proposes in an association and how it then sends each instance.
 *
 * Per SOP class: one presentation context per stored syntax other than Explicit VR Little Endian (each
 * on its own, so a peer that can take the stored syntax is never offered the choice of another one for
 * it), and one with Explicit VR Little Endian then Implicit VR Little Endian (the default every peer must
 * take, PS3.5 10.1). An instance goes in its stored syntax when that was accepted; an ELE/ILE instance is
 * re-encoded to the other one when only that was accepted; a compressed one is never decoded.
 */

export interface StoredSyntax {
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
}

export interface ProposedContext {
  /** Odd, 1 to 255. */
  readonly id: number;
  readonly abstractSyntaxUid: string;
  readonly transferSyntaxUids: readonly string[];
}

export interface AcceptedContext {
  readonly abstractSyntaxUid: string;
  readonly transferSyntaxUid: string;
}

export type SendPlan =
  | { readonly kind: 'as-stored'; readonly transferSyntaxUid: string }
  | { readonly kind: 're-encode'; readonly transferSyntaxUid: string }
  | { readonly kind: 'refused'; readonly reason: string };

/** PS3.8 9.3.2.2: presentation context ids are odd numbers from 1 to 255. */
export const MAX_PRESENTATION_CONTEXTS = 128;

/** The contexts an association proposes for these instances (in first-seen order). */
export function proposeContexts(instances: Iterable<StoredSyntax>): ProposedContext[] {
  const keys = contextKeys(instances);
  return [...keys].map((key, index) => {
    const [abstractSyntaxUid, syntax] = key.split('|');
    const transferSyntaxUids = syntax === '' ? [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN] : [syntax];
    return { id: index * 2 + 1, abstractSyntaxUid, transferSyntaxUids };
  });
}

/** Keys of the contexts one instance needs (a batch needs the union). */
export function contextKeysOf({ sopClassUid, transferSyntaxUid }: StoredSyntax): string[] {
  return transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN ? [`${sopClassUid}|`] : [`${sopClassUid}|${transferSyntaxUid}`, `${sopClassUid}|`];
}

function contextKeys(instances: Iterable<StoredSyntax>): Set<string> {
  const keys = new Set<string>();
  for (const instance of instances) {
    for (const key of contextKeysOf(instance)) keys.add(key);
  }
  return keys;
}

export function planSend(instance: StoredSyntax, accepted: readonly AcceptedContext[]): SendPlan {
  const forClass = accepted.filter((context) => context.abstractSyntaxUid === instance.sopClassUid);
  const stored = instance.transferSyntaxUid;
  if (forClass.some((context) => context.transferSyntaxUid === stored)) return { kind: 'as-stored', transferSyntaxUid: stored };
  const uncompressed = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN].find((uid) => forClass.some((context) => context.transferSyntaxUid === uid));
  if (uncompressed && isLittleEndianUncompressed(stored)) return { kind: 're-encode', transferSyntaxUid: uncompressed };
  if (uncompressed) {
    return {
      kind: 'refused',
      reason:
        `the destination accepts SOP class ${instance.sopClassUid} only in ${describeTransferSyntax(uncompressed)}; ` +
        `the instance is stored as ${describeTransferSyntax(stored)} and the PACS driver does not decompress`,
    };
  }
  return {
    kind: 'refused',
    reason: `the destination accepted no presentation context for SOP class ${instance.sopClassUid} (stored as ${describeTransferSyntax(stored)})`,
  };
}
