import type { MedplumClient } from '@medplum/core';
import type { Patient, Practitioner, Reference } from '@medplum/fhirtypes';
import { PermanentError } from '@simpul/infra';
import { IHS_NUMBER_SYSTEM, identifierValue, maskedNik, NAKES_IHS_NUMBER_SYSTEM, NIK_SYSTEM } from './identifier-systems.ts';
import { readReferenced, writeBackIdentifier } from './local-hub.ts';
import type { SatusehatClient } from './satusehat-client.ts';

/**
 * People in SATUSEHAT's master indexes (§3): a local Patient or Practitioner is found there by its
 * NIK, and the IHS number found (the remote id) is written back onto the local resource, so later
 * deliveries skip the search.
 */

export interface MasterDataDeps {
  medplum: MedplumClient;
  client: SatusehatClient;
  warnings: string[];
}

const NIK = /^\d{16}$/;

/** The IHS number of the local Patient `reference` (the subject of `owner`). */
export async function resolvePatient(deps: MasterDataDeps, reference: string | undefined, owner: string): Promise<string> {
  const patient = await readReferenced<Patient>(deps.medplum, reference, 'Patient', owner, 'subject');
  const local = `Patient/${patient.id}`;
  const known = identifierValue(patient, IHS_NUMBER_SYSTEM);
  if (known !== undefined) return known;
  const nik = identifierValue(patient, NIK_SYSTEM);
  if (nik === undefined) throw new PermanentError(`${local} has no NIK (${NIK_SYSTEM}); SATUSEHAT finds patients by NIK`);
  if (!NIK.test(nik)) throw new PermanentError(`${local} has a NIK (${NIK_SYSTEM}) that is not 16 digits`);
  const found = await deps.client.findByIdentifier('Patient', NIK_SYSTEM, nik, `the search of the Patient with NIK ${maskedNik(nik)}`);
  if (found === undefined) {
    throw new PermanentError(`SATUSEHAT has no Patient with the NIK ending ${nik.slice(-4)} (${local}); check the NIK or register the patient in SATUSEHAT`);
  }
  await writeBackIdentifier(deps.medplum, 'Patient', patient.id as string, { use: 'secondary', system: IHS_NUMBER_SYSTEM, value: found.id });
  return found.id;
}

/**
 * The IHS number of a Practitioner reference, when it can be had: optional everywhere SATUSEHAT takes
 * one, so a missing NIK or a Practitioner unknown to SATUSEHAT is a warning, not a failure.
 */
export async function resolvePractitioner(deps: MasterDataDeps, reference: Reference | undefined, owner: string, element: string): Promise<string | undefined> {
  if (!reference?.reference?.startsWith('Practitioner/')) return undefined;
  const practitioner = await readReferenced<Practitioner>(deps.medplum, reference.reference, 'Practitioner', owner, element);
  const local = `Practitioner/${practitioner.id}`;
  const known = identifierValue(practitioner, IHS_NUMBER_SYSTEM, NAKES_IHS_NUMBER_SYSTEM);
  if (known !== undefined) return known;
  const nik = identifierValue(practitioner, NIK_SYSTEM);
  if (nik === undefined || !NIK.test(nik)) {
    deps.warnings.push(`${owner} ${element}: ${local} has no 16-digit NIK, so it is not sent to SATUSEHAT`);
    return undefined;
  }
  const found = await deps.client.findByIdentifier('Practitioner', NIK_SYSTEM, nik, `the search of the Practitioner with NIK ${maskedNik(nik)}`);
  if (found === undefined) {
    deps.warnings.push(`${owner} ${element}: SATUSEHAT has no Practitioner with the NIK ending ${nik.slice(-4)} (${local}), so it is not sent`);
    return undefined;
  }
  await writeBackIdentifier(deps.medplum, 'Practitioner', practitioner.id as string, { use: 'secondary', system: IHS_NUMBER_SYSTEM, value: found.id });
  return found.id;
}
