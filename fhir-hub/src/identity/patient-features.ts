import type { HumanName, Identifier, Patient } from '@medplum/fhirtypes';
import type { IdentityConfig } from '@simpul/infra';
import { canonicalSpelling, nameTokens, phoneticKey } from './normalize-name.ts';

/**
 * What matching knows about a Patient, normalised once at write time and stored beside the blocking
 * keys (identity_patient.features), so candidate scoring never re-parses resources.
 */
export interface PatientFeatures {
  /** Canonical tokens of each name (official first). */
  names: string[][];
  /** YYYY-MM-DD, YYYY-MM or YYYY as given. */
  birthDate?: string;
  gender?: string;
  /** Phone numbers as national significant digits (no +62 / 0 prefix). */
  phones: string[];
  /** Canonical address tokens (lines, village, district, city). */
  address: string[];
  /** `system|value` of identifiers in unique systems, after identifier maps and value clean-up. */
  identifiers: string[];
}

/** Where a merged-away Patient keeps the identifiers it gave up (the same system the HL7 A40 mapping uses). */
export const MERGED_IDENTIFIER_SYSTEM = 'https://simpul.dev/fhir/id/merged-patient-identifier';

export function patientFeatures(patient: Patient, config: IdentityConfig): PatientFeatures {
  const names = orderedNames(patient.name ?? [])
    .map(nameTokensOf)
    .filter((tokens) => tokens.length > 0);
  const phones = (patient.telecom ?? [])
    .filter((t) => t.system === 'phone' || t.system === 'sms' || (t.system === undefined && t.value))
    .map((t) => normalizePhone(t.value ?? ''))
    .filter((p): p is string => !!p);
  const address = (patient.address ?? []).flatMap((a) =>
    [...(a.line ?? []), a.district, a.city, a.text]
      .filter((part): part is string => !!part)
      .flatMap((part) => part.toLowerCase().normalize('NFKD').replace(/[^a-z0-9\s]/g, ' ').split(/\s+/))
      .filter((token) => token.length > 1 && !ADDRESS_STOP_WORDS.has(token))
      .map(canonicalSpelling),
  );
  return {
    names,
    ...(patient.birthDate && /^\d{4}(-\d{2}(-\d{2})?)?$/.test(patient.birthDate) ? { birthDate: patient.birthDate } : undefined),
    ...(patient.gender ? { gender: patient.gender } : undefined),
    phones: [...new Set(phones)],
    address: [...new Set(address)],
    identifiers: uniqueIdentifierKeys(patient.identifier ?? [], config),
  };
}

const ADDRESS_STOP_WORDS = new Set(['jl', 'jln', 'jalan', 'no', 'rt', 'rw', 'kel', 'kec', 'kab', 'kota', 'desa', 'gg', 'gang', 'blok']);

function orderedNames(names: HumanName[]): HumanName[] {
  return [...names.filter((n) => n.use === 'official'), ...names.filter((n) => n.use !== 'official' && n.use !== 'old')];
}

function nameTokensOf(name: HumanName): string[] {
  const parts = [...(name.given ?? []), name.family].filter((p): p is string => !!p);
  return nameTokens(parts.length > 0 ? parts.join(' ') : (name.text ?? ''));
}

/** Indonesian numbers: +62 812..., 62812..., 0812... → 812...; too short to be a phone → undefined. */
export function normalizePhone(value: string): string | undefined {
  let digits = value.replace(/\D/g, '');
  if (digits.startsWith('62')) digits = digits.slice(2);
  digits = digits.replace(/^0+/, '');
  return digits.length >= 7 ? digits : undefined;
}

/** Identifier values as typed by hand differ in case and separators: `rm-001 234` is `RM001234`. */
export function normalizeIdentifierValue(value: string): string {
  return value.toUpperCase().replace(/[\s\-./_]/g, '');
}

/** Identifiers in the configured unique systems (directly or through an identifier map), as `system|value`. */
export function uniqueIdentifierKeys(identifiers: readonly Identifier[], config: IdentityConfig): string[] {
  const unique = new Set([...config.uniqueIdentifiers.map((u) => u.system), ...config.identifierMaps.map((m) => m.to)]);
  const keys = new Set<string>();
  for (const identifier of identifiers) {
    if (!identifier.system || !identifier.value || identifier.system === MERGED_IDENTIFIER_SYSTEM) continue;
    const value = normalizeIdentifierValue(identifier.value);
    if (!value) continue;
    if (unique.has(identifier.system)) keys.add(`${identifier.system}|${value}`);
    for (const map of config.identifierMaps) {
      if (map.from !== identifier.system) continue;
      const prefix = map.valuePrefix ? normalizeIdentifierValue(map.valuePrefix) : '';
      keys.add(`${map.to}|${value.startsWith(prefix) ? value : prefix + value}`);
    }
  }
  return [...keys].sort();
}

/**
 * Blocking keys: a candidate shares at least one with the incoming record. Chosen so that one error
 * (a typo in a name token, a wrong year, swapped day and month, a missing NIK) still leaves a shared key.
 */
export function blockingKeys(features: PatientFeatures): string[] {
  const keys = new Set<string>();
  for (const identifier of features.identifiers) keys.add(`i:${identifier}`);
  const date = dateParts(features.birthDate);
  const dayMonth = date?.day && date.month ? [date.day, date.month].sort().join('') : undefined;
  for (const tokens of features.names) {
    for (const token of tokens) {
      if (token.length < 2) continue;
      const sound = phoneticKey(token);
      keys.add(`n:${sound}|${date?.year ?? ''}`);
      if (dayMonth) keys.add(`m:${sound}|${dayMonth}`);
    }
  }
  if (date?.year && dayMonth) keys.add(`b:${date.year}${dayMonth}`);
  for (const phone of features.phones) keys.add(`p:${phone}`);
  return [...keys].sort();
}

export function dateParts(date: string | undefined): { year: string; month?: string; day?: string } | undefined {
  if (!date) return undefined;
  const [year, month, day] = date.split('-');
  return { year, month, day };
}
