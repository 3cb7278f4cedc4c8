import dimse from 'dcmjs-dimse';
import type { association as dimseAssociation } from 'dcmjs-dimse';
import { describeTransferSyntax } from '../data/transfer-syntaxes.ts';

/**
 * Which presentation contexts the receiver accepts: Verification, and every storage SOP class (all of
 * `1.2.840.10008.5.1.4.1.1.*`, not only the 59 dcmjs-dimse names) in the transfer syntaxes modalities
 * send. For each context the first transfer syntax the modality proposes that is accepted wins, so the
 * sender's preference (compressed first, usually) is kept and nothing is transcoded.
 */

const { PresentationContextResult } = dimse.constants;

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';
const STORAGE_SOP_CLASS_ROOT = '1.2.840.10008.5.1.4.1.1.';
const UID = /^[0-9]+(\.[0-9]+)*$/;

/** Encapsulated video syntaxes: stored as sent (no preview is made of them). */
const VIDEO_TRANSFER_SYNTAXES = [
  '1.2.840.10008.1.2.4.100', // MPEG2 Main Profile / Main Level
  '1.2.840.10008.1.2.4.101', // MPEG2 Main Profile / High Level
  '1.2.840.10008.1.2.4.102', // MPEG-4 AVC/H.264 High Profile / Level 4.1
  '1.2.840.10008.1.2.4.103', // MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1
  '1.2.840.10008.1.2.4.104', // MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video
  '1.2.840.10008.1.2.4.105', // MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video
  '1.2.840.10008.1.2.4.106', // MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2
  '1.2.840.10008.1.2.4.107', // HEVC/H.265 Main Profile / Level 5.1
  '1.2.840.10008.1.2.4.108', // HEVC/H.265 Main 10 Profile / Level 5.1
];

const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';

export function isStorageSopClass(uid: string): boolean {
  return uid.startsWith(STORAGE_SOP_CLASS_ROOT) && uid.length <= 64 && UID.test(uid);
}

/** Syntaxes whose data sets are stored: every syntax Simpul can render, plus video. */
export function isAcceptedTransferSyntax(uid: string): boolean {
  return describeTransferSyntax(uid) !== undefined || VIDEO_TRANSFER_SYNTAXES.includes(uid);
}

/** How one proposed presentation context was answered (for the log). */
export interface ContextDecision {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly accepted: string | undefined;
  readonly reason?: 'abstract-syntax-not-supported' | 'transfer-syntaxes-not-supported';
}

/** Sets the result of every proposed context on the association and says what was decided. */
export function negotiatePresentationContexts(association: dimseAssociation.Association): ContextDecision[] {
  return association.getPresentationContexts().map(({ id }) => {
    const context = association.getPresentationContext(id);
    const abstractSyntax = context.getAbstractSyntaxUid();
    const proposed = context.getTransferSyntaxUids();
    let chosen: string | undefined;
    if (abstractSyntax === VERIFICATION_SOP_CLASS) {
      chosen = proposed.includes(IMPLICIT_VR_LITTLE_ENDIAN) ? IMPLICIT_VR_LITTLE_ENDIAN : proposed.find(isAcceptedTransferSyntax);
    } else if (isStorageSopClass(abstractSyntax)) {
      chosen = proposed.find(isAcceptedTransferSyntax);
    } else {
      context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
      return { id, abstractSyntax, accepted: undefined, reason: 'abstract-syntax-not-supported' as const };
    }
    if (!chosen) {
      context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      return { id, abstractSyntax, accepted: undefined, reason: 'transfer-syntaxes-not-supported' as const };
    }
    context.setResult(PresentationContextResult.Accept, chosen);
    return { id, abstractSyntax, accepted: chosen };
  });
}
