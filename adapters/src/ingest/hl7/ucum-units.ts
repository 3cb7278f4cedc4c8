export const UCUM_SYSTEM = 'http://unitsofmeasure.org';

/**
 * Unit spellings seen in lab systems (including Indonesian ones: "jam" is hour, "juta" a million,
 * "ribu" a thousand) → UCUM. Keys are compared case-sensitively first, then lower-cased, because
 * UCUM itself is case-sensitive (mL vs ML) while lab systems are not careful about it.
 */
const UCUM_BY_SPELLING: Readonly<Record<string, string>> = {
  'mg/dL': 'mg/dL',
  'g/dL': 'g/dL',
  'g/L': 'g/L',
  'mg/L': 'mg/L',
  'ug/L': 'ug/L',
  'ng/mL': 'ng/mL',
  'pg/mL': 'pg/mL',
  'mmol/L': 'mmol/L',
  'umol/L': 'umol/L',
  'µmol/L': 'umol/L',
  'mEq/L': 'meq/L',
  'meq/L': 'meq/L',
  'U/L': 'U/L',
  'IU/L': '[IU]/L',
  'mIU/L': 'm[IU]/L',
  'uIU/mL': 'u[IU]/mL',
  '%': '%',
  fL: 'fL',
  pg: 'pg',
  'mm/h': 'mm/h',
  'mm/hr': 'mm/h',
  'mm/jam': 'mm/h',
  mmHg: 'mm[Hg]',
  'mm[Hg]': 'mm[Hg]',
  '/uL': '/uL',
  '/mm3': '/mm3',
  '10^3/uL': '10*3/uL',
  'x10^3/uL': '10*3/uL',
  '10*3/uL': '10*3/uL',
  'ribu/uL': '10*3/uL',
  '10^6/uL': '10*6/uL',
  'x10^6/uL': '10*6/uL',
  '10*6/uL': '10*6/uL',
  'juta/uL': '10*6/uL',
  '10^9/L': '10*9/L',
  'x10^9/L': '10*9/L',
  '10*9/L': '10*9/L',
  '10^12/L': '10*12/L',
  '10*12/L': '10*12/L',
  s: 's',
  sec: 's',
  detik: 's',
  min: 'min',
  menit: 'min',
  h: 'h',
  jam: 'h',
  d: 'd',
  hari: 'd',
  kg: 'kg',
  g: 'g',
  cm: 'cm',
  mm: 'mm',
  m: 'm',
  'kg/m2': 'kg/m2',
  'mL/min': 'mL/min',
  'mL/min/1.73m2': 'mL/min/{1.73_m2}',
  Cel: 'Cel',
  '°C': 'Cel',
  '/min': '/min',
  'x/menit': '/min',
  bpm: '/min',
  mL: 'mL',
  L: 'L',
  ratio: '{ratio}',
};

const LOWER_CASE_INDEX = new Map(Object.entries(UCUM_BY_SPELLING).map(([spelling, code]) => [spelling.toLowerCase(), code]));

/**
 * The UCUM code for a v2 unit (OBX-6 identifier and coding system name), or undefined when it is
 * not known to be UCUM. A unit whose coding system is UCUM is trusted as sent.
 */
export function toUcum(unit: string, codingSystemName: string): string | undefined {
  if (!unit) {
    return undefined;
  }
  if (codingSystemName.toUpperCase() === 'UCUM' || codingSystemName === UCUM_SYSTEM) {
    return unit;
  }
  return UCUM_BY_SPELLING[unit] ?? LOWER_CASE_INDEX.get(unit.toLowerCase());
}
