import { LOINC } from '@medplum/core';
import type { Attachment, DiagnosticReport, Identifier } from '@medplum/fhirtypes';
import { codedElement } from './coded-element.ts';
import { MappingError } from './mapping-error.ts';
import type { MappingSession } from './mapping-session.ts';
import type { EncounterContext } from './map-encounter.ts';
import { mapEncounter } from './map-encounter.ts';
import { mapObservation } from './map-observation.ts';
import type { PatientContext } from './map-patient.ts';
import { mapPatient } from './map-patient.ts';
import { practitionerReference } from './map-practitioner.ts';
import { mapServiceRequest, orderIdentifiers } from './map-service-request.ts';
import type { OrderGroup } from './order-groups.ts';
import { noteText, orderGroups, patientGroups } from './order-groups.ts';
import { encapsulatedAttachment, isEncapsulatedData, isNarrative, reportText } from './report-text.ts';
import type { SegmentView } from './segment-view.ts';
import { observationCategory, reportCategory } from './service-sections.ts';
import { identifierSearch } from './transaction-builder.ts';
import { FHIR } from './v2-code-tables.ts';

/** R4 DiagnosticReport has no `note`; this is FHIR's R5 cross-version extension for it. */
const REPORT_NOTE_EXTENSION = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-DiagnosticReport.note';

/**
 * ORU^R01 → per OBR a DiagnosticReport (keyed on the filler order number) with its Observations,
 * and the ServiceRequest it fulfils (created only if the order never arrived). Imaging reports keep
 * their narrative OBX segments as `presentedForm` + `conclusion` instead of one Observation per
 * line; encapsulated documents (ED, e.g. a PDF) become `presentedForm` too.
 */
export function mapResultMessage(session: MappingSession): PatientContext {
  const patients = patientGroups(session.segments);
  if (patients.length === 0) {
    throw new MappingError({ field: 'PID', reason: `${session.header.messageType} has no PID segment` });
  }
  let first: PatientContext | undefined;
  for (const group of patients) {
    const patient = mapPatient(session, group.pid, 'ensure');
    first ??= patient;
    const encounter = group.pv1 ? mapEncounter(session, group.pv1, group.pv2, patient, { write: 'ensure', status: 'unknown', locationStatus: 'active' }) : undefined;
    const reports = orderGroups(group.segments).filter((order): order is OrderGroup & { obr: SegmentView } => !!order.obr);
    if (reports.length === 0) {
      throw new MappingError({ field: 'OBR', reason: `${session.header.messageType} has no OBR for patient ${patient.identifier.value}` });
    }
    for (const report of reports) {
      mapReport(session, report, patient, encounter);
    }
  }
  return first as PatientContext;
}

function mapReport(session: MappingSession, group: OrderGroup & { obr: SegmentView }, patient: PatientContext, encounter: EncounterContext | undefined): void {
  const { obr } = group;
  const identifiers = orderIdentifiers(session, group);
  if (!identifiers) {
    throw new MappingError({ field: 'OBR-3', reason: 'the result has no filler, placer or accession number', occurrence: obr.occurrence });
  }
  const reportKey = reportIdentifier(session, identifiers);
  const order = mapServiceRequest(session, group, identifiers, { patient, encounter }, { status: 'active', write: 'ensure' });
  const effective = session.dateTime('OBR-7', obr.value(7));
  const issued = session.instant('OBR-22', obr.value(22));
  const title = obr.value(4, 2) || undefined;

  const imaging = order.kind === 'imaging';
  const narrative = group.observations.filter((observation) => imaging && isNarrative(observation.obx));
  const documents = group.observations.filter((observation) => isEncapsulatedData(observation.obx));
  const discrete = group.observations.filter((observation) => !narrative.includes(observation) && !documents.includes(observation));
  const results = discrete.map((observation, index) =>
    mapObservation(session, observation, index + 1, {
      patient,
      encounter,
      basedOn: order.reference,
      category: observationCategory(order.kind),
      reportKey: reportKey.value as string,
      effective,
      issued,
    }),
  );

  const report: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    identifier: [reportKey, ...(identifiers.accession ? [identifiers.accession] : [])],
    basedOn: [order.reference],
    status: reportStatus(session, obr.value(25)),
    code: codedElement(session, obr.field(4), 'OBR-4', { target: LOINC }) ?? { text: title ?? 'report' },
    subject: patient.reference,
  };
  const category = reportCategory(order.kind, obr.value(24));
  if (category) {
    report.category = category;
  }
  if (encounter) {
    report.encounter = encounter.reference;
  }
  if (effective) {
    report.effectiveDateTime = effective;
  }
  if (issued) {
    report.issued = issued;
  }
  const interpreter = practitionerReference(session, obr.field(32).nested(1), 'OBR-32');
  if (interpreter) {
    report.resultsInterpreter = [interpreter];
  }
  if (results.length > 0) {
    report.result = results;
  }
  const text = reportText(narrative, title);
  const attachments: Attachment[] = [...text.presentedForm, ...documents.flatMap((document) => encapsulatedAttachment(document.obx) ?? [])];
  if (attachments.length > 0) {
    report.presentedForm = attachments;
  }
  if (text.conclusion) {
    report.conclusion = text.conclusion;
  }
  const note = noteText(group.notes);
  if (note) {
    report.extension = [{ url: REPORT_NOTE_EXTENSION, valueAnnotation: { text: note } }];
  }
  session.bundle.put(report, identifierSearch(reportKey.system as string, reportKey.value as string));
}

/** The filler order number keys the report; without one, the accession or placer number (with a warning). */
function reportIdentifier(session: MappingSession, identifiers: NonNullable<ReturnType<typeof orderIdentifiers>>): Identifier {
  if (identifiers.filler) {
    return identifiers.filler;
  }
  const fallback = (identifiers.accession ?? identifiers.placer) as Identifier;
  session.warn('OBR-3', `no filler order number; the DiagnosticReport is keyed on ${fallback.value}`);
  return fallback;
}

function reportStatus(session: MappingSession, code: string): DiagnosticReport['status'] {
  if (!code) {
    session.warn('OBR-25', 'no result status; DiagnosticReport.status is unknown');
    return 'unknown';
  }
  return (session.tableCode('OBR-25', '0123', code, FHIR.reportStatus) ?? 'unknown') as DiagnosticReport['status'];
}
