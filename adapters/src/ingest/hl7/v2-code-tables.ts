/**
 * The HL7 v2 tables this mapper translates into FHIR code systems, after the HL7 v2-to-FHIR
 * implementation guide's vocabulary maps. Data only: the default CodeTranslator serves them and a
 * hospital overrides any of them with a `codeMaps` entry in its source config.
 */

export const FHIR = {
  administrativeGender: 'http://hl7.org/fhir/administrative-gender',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  maritalStatus: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus',
  roleCode: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  observationStatus: 'http://hl7.org/fhir/observation-status',
  reportStatus: 'http://hl7.org/fhir/diagnostic-report-status',
  requestPriority: 'http://hl7.org/fhir/request-priority',
  requestStatus: 'http://hl7.org/fhir/request-status',
  allergyCriticality: 'http://hl7.org/fhir/allergy-intolerance-criticality',
  allergyCategory: 'http://hl7.org/fhir/allergy-intolerance-category',
  appointmentStatus: 'http://hl7.org/fhir/appointmentstatus',
  nameUse: 'http://hl7.org/fhir/name-use',
  addressUse: 'http://hl7.org/fhir/address-use',
  contactPointUse: 'http://hl7.org/fhir/contact-point-use',
  contactPointSystem: 'http://hl7.org/fhir/contact-point-system',
  diagnosisRole: 'http://terminology.hl7.org/CodeSystem/diagnosis-role',
} as const;

/** `http://terminology.hl7.org/CodeSystem/v2-<table>` */
export function v2Table(table: string): string {
  return `http://terminology.hl7.org/CodeSystem/v2-${table}`;
}

type TableCodes = Record<string, string | readonly [code: string, display: string]>;

export interface V2TableMap {
  readonly table: string;
  readonly target: string;
  readonly codes: TableCodes;
}

export const V2_TABLE_MAPS: readonly V2TableMap[] = [
  { table: '0001', target: FHIR.administrativeGender, codes: { M: 'male', F: 'female', O: 'other', A: 'other', N: 'other', U: 'unknown' } },
  {
    table: '0004',
    target: FHIR.actCode,
    codes: {
      E: ['EMER', 'emergency'],
      I: ['IMP', 'inpatient encounter'],
      B: ['IMP', 'inpatient encounter'],
      O: ['AMB', 'ambulatory'],
      R: ['AMB', 'ambulatory'],
      C: ['AMB', 'ambulatory'],
      P: ['PRENC', 'pre-admission'],
    },
  },
  {
    table: '0002',
    target: FHIR.maritalStatus,
    codes: {
      A: ['L', 'Legally Separated'],
      E: ['L', 'Legally Separated'],
      D: ['D', 'Divorced'],
      M: ['M', 'Married'],
      S: ['S', 'Never Married'],
      W: ['W', 'Widowed'],
      C: ['C', 'Common Law'],
      G: ['T', 'Domestic partner'],
      P: ['T', 'Domestic partner'],
      R: ['T', 'Domestic partner'],
      N: ['A', 'Annulled'],
      I: ['I', 'Interlocutory'],
      B: ['U', 'unmarried'],
    },
  },
  {
    table: '0063',
    target: FHIR.roleCode,
    codes: {
      SPO: ['SPS', 'spouse'],
      DOM: ['DOMPART', 'domestic partner'],
      CHD: ['CHILD', 'child'],
      GCH: ['GRNDCHILD', 'grandchild'],
      NCH: ['NCHILD', 'natural child'],
      SCH: ['STPCHLD', 'step child'],
      FND: ['FRND', 'unrelated friend'],
      SIB: ['SIB', 'sibling'],
      BRO: ['BRO', 'brother'],
      SIS: ['SIS', 'sister'],
      FTH: ['FTH', 'father'],
      MTH: ['MTH', 'mother'],
      PAR: ['PRN', 'parent'],
      GRP: ['GRPRN', 'grandparent'],
      EXF: ['FAMMEMB', 'family member'],
      GRD: ['GUARD', 'guardian'],
      SEL: ['ONESELF', 'self'],
    },
  },
  {
    table: '0078',
    target: FHIR.interpretation,
    codes: Object.fromEntries(
      ['L', 'H', 'LL', 'HH', 'LU', 'HU', 'N', 'A', 'AA', '<', '>', 'U', 'D', 'B', 'W', 'S', 'R', 'I', 'MS', 'VS', 'NEG', 'POS', 'IND', 'DET', 'ND', 'NR', 'RR'].map(
        (code) => [code, code],
      ),
    ),
  },
  {
    table: '0085',
    target: FHIR.observationStatus,
    codes: {
      C: 'corrected',
      D: 'entered-in-error',
      W: 'entered-in-error',
      F: 'final',
      U: 'final',
      I: 'registered',
      O: 'registered',
      P: 'preliminary',
      R: 'preliminary',
      S: 'preliminary',
      N: 'cancelled',
      X: 'cancelled',
    },
  },
  {
    table: '0123',
    target: FHIR.reportStatus,
    codes: { O: 'registered', I: 'registered', S: 'partial', A: 'partial', R: 'partial', P: 'preliminary', C: 'corrected', F: 'final', X: 'cancelled' },
  },
  { table: '0027', target: FHIR.requestPriority, codes: { S: 'stat', A: 'asap', R: 'routine', P: 'urgent', C: 'urgent', T: 'urgent', PRN: 'routine' } },
  {
    table: '0038',
    target: FHIR.requestStatus,
    codes: { A: 'active', IP: 'active', SC: 'active', CM: 'completed', CA: 'revoked', DC: 'revoked', RP: 'revoked', ER: 'entered-in-error', HD: 'on-hold' },
  },
  { table: '0128', target: FHIR.allergyCriticality, codes: { SV: 'high', MO: 'low', MI: 'low', U: 'unable-to-assess' } },
  { table: '0127', target: FHIR.allergyCategory, codes: { DA: 'medication', FA: 'food', EA: 'environment', AA: 'environment', PA: 'environment', LA: 'environment' } },
  {
    table: '0278',
    target: FHIR.appointmentStatus,
    codes: {
      Booked: 'booked',
      Overbook: 'booked',
      Blocked: 'booked',
      Pending: 'pending',
      Complete: 'fulfilled',
      Cancelled: 'cancelled',
      DC: 'cancelled',
      Deleted: 'entered-in-error',
      Noshow: 'noshow',
      Waitlist: 'waitlist',
      Started: 'arrived',
    },
  },
  { table: '0200', target: FHIR.nameUse, codes: { L: 'official', D: 'usual', A: 'usual', M: 'maiden', N: 'nickname', B: 'old', C: 'old', S: 'anonymous', T: 'temp' } },
  { table: '0190', target: FHIR.addressUse, codes: { H: 'home', P: 'home', B: 'work', O: 'work', C: 'temp', BA: 'old' } },
  { table: '0201', target: FHIR.contactPointUse, codes: { PRN: 'home', ORN: 'home', WPN: 'work', VHN: 'temp' } },
  {
    table: '0202',
    target: FHIR.contactPointSystem,
    codes: { PH: 'phone', CP: 'phone', SAT: 'phone', FX: 'fax', BP: 'pager', Internet: 'email', 'X.400': 'email', MD: 'other', TDD: 'other', TTY: 'other' },
  },
  { table: '0052', target: FHIR.diagnosisRole, codes: { A: ['AD', 'Admission diagnosis'], F: ['DD', 'Discharge diagnosis'] } },
];
