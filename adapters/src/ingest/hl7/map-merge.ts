import type { Identifier, Patient } from '@medplum/fhirtypes';
import { cxIdentifier } from './cx-identifier.ts';
import { MappingError } from './mapping-error.ts';
import type { MappingSession } from './mapping-session.ts';
import type { PatientContext } from './map-patient.ts';
import { buildPatient, patientSearch, writePatient } from './map-patient.ts';
import { xpnName } from './person-name.ts';
import type { SegmentView } from './segment-view.ts';
import { tokenValue } from './transaction-builder.ts';

/**
 * Where a merged-away Patient keeps a trace of the identifiers it gave up: value
 * `<original system>#<original value>`. It is a different system on purpose, so that an
 * `identifier=<system>|<value>` search for an old identifier finds the survivor alone.
 */
export const MERGED_IDENTIFIER_SYSTEM = 'https://simpul.dev/fhir/id/merged-patient-identifier';

/**
 * ADT^A40 (merge patient, identifier list): for each PID + MRG pair, the patient of MRG-1 is
 * merged into the patient of PID-3.
 *
 * - Non-survivor: `active: false`, `link: replaced-by → survivor`, and its identifiers replaced
 *   by markers in MERGED_IDENTIFIER_SYSTEM (`use: old`).
 * - Survivor: demographics from PID, PID-3's identifiers plus the old ones (`use: old`), and
 *   `link: replaces → non-survivor`.
 *
 * Why later messages for the old identifier land on the survivor: every message writes its Patient
 * conditionally on `identifier=<system>|<MRN>`. After the merge only the survivor holds the old
 * MRN, so that search resolves to exactly one Patient: the survivor (one active Patient, no 412).
 *
 * Why a replay of the A40 changes nothing: the non-survivor's conditional URL is
 * `identifier=<old>,<marker>&identifier:not=<survivor MRN>`. Before the merge it matches the old
 * Patient by its MRN; afterwards by its marker, while the survivor (which now also has the old MRN)
 * is excluded by the `:not`. The non-survivor entry comes first so that servers which resolve
 * conditions entry by entry see the old MRN before the survivor's entry adds it.
 */
export function mapMergeMessage(session: MappingSession): PatientContext {
  const pairs = mergePairs(session);
  let first: PatientContext | undefined;
  for (const { pid, mrg } of pairs) {
    const merged = mergePair(session, pid, mrg);
    first ??= merged;
  }
  return first as PatientContext;
}

function mergePairs(session: MappingSession): { pid: SegmentView; mrg: SegmentView }[] {
  const pairs: { pid: SegmentView; mrg: SegmentView }[] = [];
  let pid: SegmentView | undefined;
  for (const segment of session.segments) {
    if (segment.name === 'PID') {
      pid = segment;
    } else if (segment.name === 'MRG') {
      if (!pid) {
        throw new MappingError({ field: 'PID', reason: 'MRG segment without a PID before it', occurrence: segment.occurrence });
      }
      pairs.push({ pid, mrg: segment });
      pid = undefined;
    }
  }
  if (pairs.length === 0) {
    const missing = session.first('PID') ? 'MRG' : 'PID';
    throw new MappingError({ field: missing, reason: `${session.header.messageType} has no ${missing} segment` });
  }
  return pairs;
}

function mergePair(session: MappingSession, pid: SegmentView, mrg: SegmentView): PatientContext {
  const survivor = buildPatient(session, pid);
  const old = priorIdentifiers(session, mrg);
  const mrnType = session.config.mrnIdentifierType;
  const oldKey = old.find((identifier) => identifier.type?.coding?.[0]?.code === mrnType) ?? old[0];
  if (oldKey.system === survivor.key.system && oldKey.value === survivor.key.value) {
    throw new MappingError({ field: 'MRG-1', reason: `the prior identifier ${oldKey.value} is the surviving patient's own identifier` });
  }
  const survivorUrl = session.bundle.fullUrlFor('Patient', patientSearch(survivor.key));
  const markers: Identifier[] = old.map((identifier) => ({
    use: 'old',
    system: MERGED_IDENTIFIER_SYSTEM,
    value: `${identifier.system}#${identifier.value}`,
  }));
  const nonSurvivor: Patient = {
    resourceType: 'Patient',
    identifier: markers,
    active: false,
    link: [{ other: { reference: survivorUrl }, type: 'replaced-by' }],
  };
  const priorName = mrg.repetitions(7).flatMap((xpn) => xpnName(session, xpn, 'MRG-7') ?? []);
  if (priorName.length > 0) {
    nonSurvivor.name = priorName;
  }
  const nonSurvivorSearch =
    `identifier=${tokenValue(oldKey.system as string, oldKey.value as string)},${tokenValue(MERGED_IDENTIFIER_SYSTEM, markers[old.indexOf(oldKey)].value as string)}` +
    `&identifier:not=${tokenValue(survivor.key.system, survivor.key.value)}`;
  const nonSurvivorRef = session.bundle.put(nonSurvivor, nonSurvivorSearch);

  const known = new Set((survivor.resource.identifier ?? []).map((identifier) => `${identifier.system}|${identifier.value}`));
  for (const identifier of old) {
    if (!known.has(`${identifier.system}|${identifier.value}`)) {
      survivor.resource.identifier = [...(survivor.resource.identifier ?? []), { ...identifier, use: 'old' }];
    }
  }
  survivor.resource.link = [{ other: nonSurvivorRef, type: 'replaces' }];
  return writePatient(session, survivor, 'replace');
}

/** MRG-1 (prior patient identifier list) and MRG-4 (prior patient id, 2.3) → identifiers. */
function priorIdentifiers(session: MappingSession, mrg: SegmentView): Identifier[] {
  const identifiers: Identifier[] = [];
  const seen = new Set<string>();
  for (const field of [1, 4]) {
    for (const cx of mrg.repetitions(field)) {
      const identifier = cxIdentifier(session, cx, mrg.ref(field));
      const key = identifier && `${identifier.system}|${identifier.value}`;
      if (identifier && key && !seen.has(key)) {
        seen.add(key);
        identifiers.push(identifier);
      }
    }
  }
  if (identifiers.length === 0) {
    throw new MappingError({ field: 'MRG-1', reason: 'no prior patient identifier to merge', occurrence: mrg.occurrence });
  }
  return identifiers;
}
