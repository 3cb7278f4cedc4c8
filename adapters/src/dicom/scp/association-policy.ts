import dimse from 'dcmjs-dimse';

/**
 * Who may associate: the called AE title must be ours, the calling AE title must be on the allow-list
 * when there is one, and no more than `maxAssociations` may be open. A refusal is an A-ASSOCIATE-RJ
 * with the result, source and reason PS3.8 9.3.4 defines, so the modality's log says why.
 */

const { RejectResult, RejectSource, RejectReason } = dimse.constants;

export interface AssociationPolicy {
  readonly aeTitle: string;
  /** Empty: any calling AE title. */
  readonly allowedCallingAeTitles: readonly string[];
  readonly maxAssociations: number;
}

export interface AssociationRejection {
  readonly result: number;
  readonly source: number;
  readonly reason: number;
  /** For the log. */
  readonly why: string;
}

/** AE titles are compared without their (insignificant) leading and trailing spaces, case-sensitively. */
export function normaliseAeTitle(aeTitle: string): string {
  return aeTitle.trim();
}

export function checkAssociation(
  request: { callingAeTitle: string; calledAeTitle: string; openAssociations: number },
  policy: AssociationPolicy,
): AssociationRejection | undefined {
  const calling = normaliseAeTitle(request.callingAeTitle);
  const called = normaliseAeTitle(request.calledAeTitle);
  if (called !== policy.aeTitle) {
    return {
      result: RejectResult.Permanent,
      source: RejectSource.ServiceUser,
      reason: RejectReason.CalledAeNotRecognized,
      why: `called AE title "${called}" is not this receiver's ("${policy.aeTitle}")`,
    };
  }
  if (policy.allowedCallingAeTitles.length > 0 && !policy.allowedCallingAeTitles.includes(calling)) {
    return {
      result: RejectResult.Permanent,
      source: RejectSource.ServiceUser,
      reason: RejectReason.CallingAeNotRecognized,
      why: `calling AE title "${calling}" is not in dicom.allowedCallingAeTitles`,
    };
  }
  if (request.openAssociations > policy.maxAssociations) {
    return {
      result: RejectResult.Transient,
      source: RejectSource.ServiceProviderPresentation,
      reason: RejectReason.LocalLimitExceeded,
      why: `${policy.maxAssociations} associations are open already (dicom.maxAssociations)`,
    };
  }
  return undefined;
}
