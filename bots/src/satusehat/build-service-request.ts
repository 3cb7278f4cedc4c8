import type { CodeableConcept, Coding, ServiceRequest } from '@medplum/fhirtypes';
import { PermanentError } from '@simpul/infra';
import {
  AE_TITLE_SYSTEM,
  DCM_SYSTEM,
  isAccessionIdentifier,
  satusehatAccessionIdentifier,
  serviceRequestSystem,
  V2_0203_SYSTEM,
} from './identifier-systems.ts';
import { toUtcDateTime } from './utc-date-time.ts';

export interface ServiceRequestInput {
  local: ServiceRequest;
  organizationId: string;
  accession: string;
  patientIhs: string;
  requesterIhs?: string;
  performerIhs?: string;
  /** DCM modality codes of the study, used when the order itself names none. */
  studyModalities?: readonly string[];
}

const SNOMED_IMAGING = { system: 'http://snomed.info/sct', code: '363679005', display: 'Imaging' };

/** The radiology ServiceRequest SATUSEHAT expects (shared/SATUSEHAT.md §5), from the local order. */
export function buildServiceRequest(input: ServiceRequestInput): Record<string, unknown> & { resourceType: 'ServiceRequest' } {
  const { local, organizationId, accession } = input;
  const owner = `ServiceRequest/${local.id ?? '(new)'}`;
  const code = procedureCode(local.code);
  if (code === undefined) throw new PermanentError(`${owner} has no code with a system and code; SATUSEHAT needs the procedure (LOINC or KPTL)`);

  const orderNumber = local.identifier?.find((identifier) => identifier.type?.coding?.some((c) => c.system === V2_0203_SYSTEM && c.code === 'PLAC') && identifier.value)?.value
    ?? local.identifier?.find((identifier) => !isAccessionIdentifier(identifier) && identifier.value)?.value
    ?? accession;
  const details = orderDetail(local, input.studyModalities ?? []);
  const occurrence = toUtcDateTime(local.occurrenceDateTime ?? local.occurrencePeriod?.start ?? local.authoredOn);

  return {
    resourceType: 'ServiceRequest',
    status: local.status && local.status !== 'unknown' ? local.status : 'active',
    intent: 'original-order',
    priority: local.priority ?? 'routine',
    identifier: [{ system: serviceRequestSystem(organizationId), value: orderNumber }, satusehatAccessionIdentifier(organizationId, accession)],
    category: [{ coding: [SNOMED_IMAGING] }],
    code,
    ...(details.length > 0 ? { orderDetail: details } : {}),
    subject: { reference: `Patient/${input.patientIhs}` },
    ...(occurrence ? { occurrenceDateTime: occurrence } : {}),
    ...(input.requesterIhs ? { requester: { reference: `Practitioner/${input.requesterIhs}` } } : {}),
    ...(input.performerIhs ? { performer: [{ reference: `Practitioner/${input.performerIhs}` }] } : {}),
  };
}

/** The order's codings that have both a system and a code (LOINC, KPTL, ...), with its text. */
function procedureCode(code: CodeableConcept | undefined): CodeableConcept | undefined {
  const codings = (code?.coding ?? []).filter((coding): coding is Coding & { system: string; code: string } => !!coding.system && !!coding.code);
  if (codings.length === 0) return undefined;
  return { coding: codings.map(({ system, code: value, display }) => (display ? { system, code: value, display } : { system, code: value })), ...(code?.text ? { text: code.text } : {}) };
}

/** Modality (DCM) and target AE title (`display`), as §5 shows them; the modality falls back to the study's. */
function orderDetail(local: ServiceRequest, studyModalities: readonly string[]): CodeableConcept[] {
  const codings = (local.orderDetail ?? []).flatMap((detail) => detail.coding ?? []);
  const modalities = [...new Set(codings.filter((c) => c.system === DCM_SYSTEM && c.code).map((c) => c.code as string))];
  const aeTitles = [...new Set(codings.filter((c) => c.system === AE_TITLE_SYSTEM && (c.display ?? c.code)).map((c) => (c.display ?? c.code) as string))];
  const details: CodeableConcept[] = (modalities.length > 0 ? modalities : [...studyModalities]).map((modality) => ({
    coding: [{ system: DCM_SYSTEM, code: modality }],
    text: `Modality Code: ${modality}`,
  }));
  for (const aeTitle of aeTitles) details.push({ coding: [{ system: AE_TITLE_SYSTEM, display: aeTitle }] });
  return details;
}
