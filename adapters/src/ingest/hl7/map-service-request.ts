import { receivedFromExtension } from '@simpul/infra';
import { LOINC } from '@medplum/core';
import type { CodeableConcept, Identifier, Reference, ServiceRequest } from '@medplum/fhirtypes';
import { codedElement } from './coded-element.ts';
import { checkedIdentifierValue, identifierType } from './cx-identifier.ts';
import type { MappingSession } from './mapping-session.ts';
import type { EncounterContext } from './map-encounter.ts';
import type { PatientContext } from './map-patient.ts';
import { practitionerReference } from './map-practitioner.ts';
import type { OrderGroup } from './order-groups.ts';
import { noteText } from './order-groups.ts';
import type { SegmentView } from './segment-view.ts';
import { parseFieldPath, readFieldPath } from './segment-view.ts';
import type { ServiceKind } from './service-sections.ts';
import { serviceKind, serviceRequestCategory } from './service-sections.ts';
import { identifierSearch } from './transaction-builder.ts';
import { FHIR } from './v2-code-tables.ts';

/** Order numbers and where they are read, first non-empty wins. */
const ORDER_NUMBERS = [
  { kind: 'placer', type: 'PLAC', fields: ['ORC-2', 'OBR-2'] },
  { kind: 'filler', type: 'FILL', fields: ['ORC-3', 'OBR-3'] },
] as const;

export interface OrderIdentifiers {
  readonly placer?: Identifier;
  readonly filler?: Identifier;
  readonly accession?: Identifier;
  /** What the ServiceRequest is keyed on: placer, else filler, else accession. */
  readonly key: Identifier & { system: string; value: string };
  readonly all: Identifier[];
}

/** Placer (PLAC) and filler (FILL) order numbers and the accession number (ACSN, from `accessionFrom`). */
export function orderIdentifiers(session: MappingSession, group: OrderGroup): OrderIdentifiers | undefined {
  const found: Partial<Record<'placer' | 'filler' | 'accession', Identifier>> = {};
  for (const { kind, type, fields } of ORDER_NUMBERS) {
    const field = fields.find((path) => readFieldPath(parseFieldPath(path), group.segments));
    const value = field && checkedIdentifierValue(field, readFieldPath(parseFieldPath(field), group.segments));
    if (value) {
      const system = kind === 'placer' ? session.systems.placerOrder : session.systems.fillerOrder;
      found[kind] = { type: identifierType(type), system, value };
    }
  }
  const accessionPath = session.config.accessionFrom.find((path) => readAccession(session, group, path));
  const accession = accessionPath && checkedIdentifierValue(accessionPath, readAccession(session, group, accessionPath));
  if (accession) {
    found.accession = { use: 'usual', type: identifierType('ACSN'), system: session.systems.accession, value: accession };
  }
  const key = found.placer ?? found.filler ?? found.accession;
  if (!key) {
    return undefined;
  }
  const all = [found.placer, found.filler, found.accession].filter((identifier): identifier is Identifier => !!identifier);
  return { ...found, key: key as OrderIdentifiers['key'], all };
}

/** The accession at `path`: in the order's own segments first, then anywhere in the message (a ZDS). */
function readAccession(session: MappingSession, group: OrderGroup, path: string): string {
  const parsed = parseFieldPath(path);
  return readFieldPath(parsed, group.segments) || readFieldPath(parsed, session.segments);
}

export interface ServiceRequestWrite {
  readonly status: ServiceRequest['status'];
  /** Orders own the ServiceRequest and replace it; results only make sure it exists. */
  readonly write: 'replace' | 'ensure';
}

export interface ServiceRequestContext {
  readonly reference: Reference<ServiceRequest>;
  readonly identifiers: OrderIdentifiers;
  readonly kind: ServiceKind;
}

/**
 * ORC + OBR (+ TQ1, IPC, NTE) → ServiceRequest: identifiers, status, intent, category, priority,
 * procedure code (translated to LOINC where a map knows it), modality and station AE title from
 * IPC, subject, encounter, scheduled time, requester, reasons and notes.
 */
export function mapServiceRequest(
  session: MappingSession,
  group: OrderGroup & { obr: SegmentView },
  identifiers: OrderIdentifiers,
  subject: { patient: PatientContext; encounter?: EncounterContext },
  options: ServiceRequestWrite,
): ServiceRequestContext {
  const { obr, orc } = group;
  const section = obr.value(24);
  const kind = serviceKind(section, group.imaging.length > 0);
  const request: ServiceRequest = {
    resourceType: 'ServiceRequest',
    identifier: identifiers.all,
    status: options.status,
    intent: 'order',
    subject: subject.patient.reference,
    extension: [receivedFromExtension({ protocol: 'hl7v2', sendingApplication: session.header.sendingApplication, sendingFacility: session.header.sendingFacility })],
  };
  const category = serviceRequestCategory(kind, section);
  if (category) {
    request.category = category;
  }
  const priority = orderPriority(session, group);
  if (priority) {
    request.priority = priority;
  }
  const code = codedElement(session, obr.field(4), 'OBR-4', { target: LOINC });
  if (code) {
    request.code = code;
  } else {
    session.warn('OBR-4', 'no universal service identifier; ServiceRequest.code left empty');
  }
  const details = imagingDetails(session, group.imaging[0]);
  if (details.length > 0) {
    request.orderDetail = details;
  }
  if (subject.encounter) {
    request.encounter = subject.encounter.reference;
  }
  const scheduled = scheduledTime(session, group);
  if (scheduled) {
    request.occurrenceDateTime = scheduled;
  }
  const authored = orc && session.dateTime('ORC-9', orc.value(9));
  if (authored) {
    request.authoredOn = authored;
  }
  const requester = (orc && practitionerReference(session, orc.field(12), 'ORC-12')) ?? practitionerReference(session, obr.field(16), 'OBR-16');
  if (requester) {
    request.requester = requester;
  }
  const reasons = obr.repetitions(31).flatMap((ce) => codedElement(session, ce, 'OBR-31') ?? []);
  if (reasons.length > 0) {
    request.reasonCode = reasons;
  }
  const note = noteText(group.notes);
  if (note) {
    request.note = [{ text: note }];
  }
  const search = identifierSearch(identifiers.key.system, identifiers.key.value);
  const reference = options.write === 'replace' ? session.bundle.put(request, search) : session.bundle.createIfNoneExist(request, search);
  return { reference, identifiers, kind };
}

/** TQ1-9 (2.5+), else the priority component of ORC-7 / OBR-27 (TQ, 2.3–2.4), through table 0027. */
function orderPriority(session: MappingSession, group: OrderGroup): ServiceRequest['priority'] | undefined {
  const sources: [string, string][] = [
    ['TQ1-9', group.timing[0]?.value(9) ?? ''],
    ['ORC-7', group.orc?.value(7, 6) ?? ''],
    ['OBR-27', group.obr?.value(27, 6) ?? ''],
  ];
  const [field, code] = sources.find(([, value]) => value) ?? ['', ''];
  return code ? (session.tableCode(field, '0027', code, FHIR.requestPriority) as ServiceRequest['priority']) : undefined;
}

/** TQ1-7 start, else the start of ORC-7 / OBR-27 (TQ-4), else OBR-36 scheduled date/time. */
function scheduledTime(session: MappingSession, group: OrderGroup): string | undefined {
  const candidates: [string, string][] = [
    ['TQ1-7', group.timing[0]?.value(7) ?? ''],
    ['ORC-7', group.orc?.value(7, 4) ?? ''],
    ['OBR-27', group.obr?.value(27, 4) ?? ''],
    ['OBR-36', group.obr?.value(36) ?? ''],
  ];
  const [field, raw] = candidates.find(([, value]) => value) ?? ['', ''];
  return raw ? session.dateTime(field, raw) : undefined;
}

const DICOM_MODALITIES = 'http://dicom.nema.org/resources/ontology/DCM';
const AE_TITLE_SYSTEM = 'http://sys-ids.kemkes.go.id/ae-title';

/** IPC-5 modality (DICOM code) and IPC-9 scheduled station AE title, as SATUSEHAT's orderDetail wants them. */
function imagingDetails(session: MappingSession, ipc: SegmentView | undefined): CodeableConcept[] {
  if (!ipc) {
    return [];
  }
  const details: CodeableConcept[] = [];
  const modality = ipc.value(5, 1);
  if (modality) {
    details.push({ coding: [{ system: DICOM_MODALITIES, code: modality }], text: `Modality Code: ${modality}` });
  }
  const aeTitle = ipc.value(9, 1);
  if (aeTitle) {
    details.push({ coding: [{ system: AE_TITLE_SYSTEM, display: aeTitle }] });
  }
  if (!modality && !aeTitle) {
    session.warn('IPC-5', 'IPC without modality or station AE title');
  }
  return details;
}
