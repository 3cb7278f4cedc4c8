import { v2Table } from './v2-code-tables.ts';

/** HL7 table 0396 coding system names (CE-3 / CWE-3) → FHIR code system URIs. */
const CODING_SYSTEM_NAMES: Readonly<Record<string, string>> = {
  LN: 'http://loinc.org',
  LOINC: 'http://loinc.org',
  I10: 'http://hl7.org/fhir/sid/icd-10',
  ICD10: 'http://hl7.org/fhir/sid/icd-10',
  'ICD-10': 'http://hl7.org/fhir/sid/icd-10',
  I10C: 'http://hl7.org/fhir/sid/icd-10-cm',
  I9: 'http://hl7.org/fhir/sid/icd-9-cm',
  I9C: 'http://hl7.org/fhir/sid/icd-9-cm',
  I9CP: 'http://hl7.org/fhir/sid/icd-9-cm',
  SCT: 'http://snomed.info/sct',
  SNM: 'http://snomed.info/sct',
  SNOMED: 'http://snomed.info/sct',
  SNOMEDCT: 'http://snomed.info/sct',
  UCUM: 'http://unitsofmeasure.org',
  DCM: 'http://dicom.nema.org/resources/ontology/DCM',
  C4: 'http://www.ama-assn.org/go/cpt',
  CPT4: 'http://www.ama-assn.org/go/cpt',
  RXN: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  RXNORM: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  NDC: 'http://hl7.org/fhir/sid/ndc',
  CVX: 'http://hl7.org/fhir/sid/cvx',
  KPTL: 'http://terminology.kemkes.go.id/CodeSystem/kptl',
  KFA: 'http://sys-ids.kemkes.go.id/kfa',
};

/**
 * The code system URI for a v2 coding system name. Order: the source's `codingSystems` config,
 * table 0396, `HL7nnnn` → the v2 table, a name that already is a URI; anything else (99zzz, L,
 * LOCAL, a vendor name) is a local system under `localCodesBase`. With no name at all, the
 * field's v2 table when it has one, else a local system named for the field (`.../obx-3`), so
 * local codes of different fields never collide.
 */
export function resolveCodingSystem(
  name: string,
  options: { configured: Readonly<Record<string, string>>; localCodesBase: string; field: string; table?: string },
): string {
  if (!name) {
    return options.table ? v2Table(options.table) : `${options.localCodesBase}/${options.field.toLowerCase()}`;
  }
  const known = options.configured[name] ?? CODING_SYSTEM_NAMES[name.toUpperCase()];
  if (known) {
    return known;
  }
  const table = /^HL7(\d{4})$/i.exec(name);
  if (table) {
    return v2Table(table[1]);
  }
  if (/^(https?|urn):/i.test(name)) {
    return name;
  }
  return `${options.localCodesBase}/${encodeURIComponent(name)}`;
}
