/**
 * Turns the typed values a search parameter's FHIRPath expression yields into index values, one
 * converter per index table. Core's convertToSearchable* functions are used where they fit; names,
 * addresses, dates and references are handled here because the search rules need more than core's
 * flattened forms (each name part is searchable on its own, partial dates are ranges, etc.).
 */
import { convertToSearchableTokens, typedValueToString } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { Address, HumanName, Money, Period, Quantity, Range, Reference, Timing } from '@medplum/fhirtypes';
import { parseDateRange, toTimestampLiteral } from './date-range.ts';
import { parseReferenceString } from './reference-string.ts';
import type { ReferenceValue } from './reference-string.ts';
import { capIndexedText, normalizeSearchText, sanitizeText } from './text-normalize.ts';
import { canonicalQuantity, UCUM_SYSTEM } from './ucum.ts';

export type { ReferenceValue } from './reference-string.ts';

export interface TokenValue {
  system: string | null;
  value: string | null;
  /** Normalised display text (CodeableConcept.text, Coding.display) for :text; then system/value are null. */
  textNorm: string | null;
}
export interface StringValue {
  valueNorm: string;
  valueRaw: string;
}
/** timestamptz literals, inclusive. */
export interface DateValue {
  low: string;
  high: string;
}
/** numeric literals ('-Infinity'/'Infinity' for an open Range bound). */
export interface NumberValue {
  low: string;
  high: string;
}
export interface QuantityValue {
  value: string;
  system: string | null;
  unitCode: string | null;
  unit: string | null;
  /** The value in canonical UCUM units (see ucum.ts), when the unit is UCUM the hub understands. */
  canonicalValue?: string | null;
  canonicalUnit?: string | null;
}
/** Degrees WGS84. */
export interface PositionValue {
  lat: number;
  lng: number;
}

const CURRENCY_SYSTEM = 'urn:iso:std:iso:4217';
// Marks the display-text tokens core emits, so they can be stored as text rows instead.
const TEXT_SYSTEM = '\u0000text';
const TOKEN_OBJECT_TYPES = new Set(['Identifier', 'CodeableConcept', 'Coding', 'ContactPoint']);

export function tokenValues(values: TypedValue[]): TokenValue[] {
  const tokenable = values.filter((v) => isPrimitive(v.value) || TOKEN_OBJECT_TYPES.has(v.type));
  const result: TokenValue[] = [];
  for (const token of convertToSearchableTokens(tokenable, { textSearchSystem: TEXT_SYSTEM })) {
    if (token.system === TEXT_SYSTEM) {
      if (token.value) {
        result.push({ system: null, value: null, textNorm: normalizeSearchText(token.value) });
      }
    } else {
      result.push({ system: cleanOrNull(token.system), value: cleanOrNull(token.value), textNorm: null });
    }
  }
  return result;
}

/** Identifiers with a typed coding, as 'typeSystem|typeCode' + value rows for :of-type. */
export function identifierTypeValues(values: TypedValue[]): TokenValue[] {
  const result: TokenValue[] = [];
  for (const { type, value } of values) {
    if (type !== 'Identifier' || !value || typeof value !== 'object') continue;
    const identifier = value as { type?: { coding?: { system?: string; code?: string }[] }; value?: string };
    if (!identifier.value) continue;
    for (const coding of identifier.type?.coding ?? []) {
      if (coding.code) {
        result.push({ system: cleanOrNull(`${coding.system ?? ''}|${coding.code}`), value: cleanOrNull(identifier.value), textNorm: null });
      }
    }
  }
  return result;
}

export function stringValues(values: TypedValue[]): StringValue[] {
  const raws = new Set<string>();
  for (const { type, value } of values) {
    for (const part of stringParts(type, value)) {
      const trimmed = part.trim();
      if (trimmed) {
        raws.add(sanitizeText(trimmed));
      }
    }
  }
  return Array.from(raws, (valueRaw) => ({ valueRaw, valueNorm: normalizeSearchText(valueRaw) }));
}

/** Every string a value can be found by: each name and address part on its own, and the whole. */
function stringParts(type: string, value: unknown): string[] {
  if (isPrimitive(value)) {
    return [String(value)];
  }
  switch (type) {
    case 'HumanName': {
      const name = value as HumanName;
      return [name.text, name.family, ...(name.given ?? []), ...(name.prefix ?? []), ...(name.suffix ?? []), whole(type, value)]
        .filter(isString);
    }
    case 'Address': {
      const a = value as Address;
      return [a.text, ...(a.line ?? []), a.city, a.district, a.state, a.postalCode, a.country, whole(type, value)].filter(isString);
    }
    default:
      return [whole(type, value)];
  }
}

function whole(type: string, value: unknown): string {
  return typedValueToString({ type, value });
}

export function dateValues(values: TypedValue[]): DateValue[] {
  const result: DateValue[] = [];
  const add = (low: number, high: number): void => {
    result.push({ low: toTimestampLiteral(low), high: toTimestampLiteral(high) });
  };
  for (const { type, value } of values) {
    if (typeof value === 'string') {
      const range = parseDateRange(value);
      if (range) add(range.low, range.high);
    } else if (type === 'Period') {
      addPeriod(value as Period, add);
    } else if (type === 'Timing') {
      const timing = value as Timing;
      for (const event of timing.event ?? []) {
        const range = parseDateRange(event);
        if (range) add(range.low, range.high);
      }
      if (timing.repeat?.boundsPeriod) {
        addPeriod(timing.repeat.boundsPeriod, add);
      }
    }
  }
  return result;
}

function addPeriod(period: Period, add: (low: number, high: number) => void): void {
  const start = period.start ? parseDateRange(period.start) : undefined;
  const end = period.end ? parseDateRange(period.end) : undefined;
  if (start || end) {
    add(start?.low ?? Number.NEGATIVE_INFINITY, end?.high ?? Number.POSITIVE_INFINITY);
  }
}

export function numberValues(values: TypedValue[]): NumberValue[] {
  const result: NumberValue[] = [];
  for (const { type, value } of values) {
    if (typeof value === 'number' && Number.isFinite(value)) {
      result.push({ low: String(value), high: String(value) });
    } else if (type === 'Range') {
      const { low, high } = value as Range;
      if (isNumber(low?.value) || isNumber(high?.value)) {
        result.push({
          low: isNumber(low?.value) ? String(low.value) : '-Infinity',
          high: isNumber(high?.value) ? String(high.value) : 'Infinity',
        });
      }
    }
  }
  return result;
}

export function quantityValues(values: TypedValue[]): QuantityValue[] {
  const result: QuantityValue[] = [];
  for (const { type, value } of values) {
    if (typeof value === 'number' && Number.isFinite(value)) {
      result.push({ value: String(value), system: null, unitCode: null, unit: null });
    } else if (type === 'Money') {
      const money = value as Money;
      if (isNumber(money.value)) {
        const currency = cleanOrNull(money.currency);
        result.push({ value: String(money.value), system: CURRENCY_SYSTEM, unitCode: currency, unit: currency });
      }
    } else if (value && typeof value === 'object' && isNumber((value as Quantity).value)) {
      // Quantity and its profiles (Age, Duration, Count, Distance, SimpleQuantity).
      const q = value as Quantity;
      const canonical = q.system === UCUM_SYSTEM && q.code ? canonicalQuantity(q.value as number, q.code) : undefined;
      result.push({
        value: String(q.value),
        system: cleanOrNull(q.system),
        unitCode: cleanOrNull(q.code),
        unit: cleanOrNull(q.unit),
        ...(canonical && Number.isFinite(canonical.value) ? { canonicalValue: String(canonical.value), canonicalUnit: canonical.unit } : {}),
      });
    }
  }
  return result;
}

export function referenceValues(values: TypedValue[]): { references: ReferenceValue[]; identifiers: TokenValue[] } {
  const references: ReferenceValue[] = [];
  const identifiers: TokenValue[] = [];
  for (const { type, value } of values) {
    if (typeof value === 'string') {
      // canonical / uri typed reference parameters
      references.push(parseReferenceString(value));
    } else if (type === 'Reference' || isReferenceLike(value)) {
      const ref = value as Reference;
      if (ref.reference) {
        references.push(parseReferenceString(ref.reference));
      }
      if (ref.identifier && (ref.identifier.system || ref.identifier.value)) {
        identifiers.push({ system: cleanOrNull(ref.identifier.system), value: cleanOrNull(ref.identifier.value), textNorm: null });
        if (!ref.reference) {
          // Present but not literal: an empty row keeps :missing truthful.
          references.push({ targetType: cleanOrNull(ref.type), targetId: null, targetUrl: null });
        }
      }
    } else if (value && typeof value === 'object' && 'resourceType' in value && 'id' in value) {
      // An inline resource, e.g. Bundle.entry[0].resource for Bundle.composition.
      const resource = value as { resourceType: string; id: string };
      references.push(parseReferenceString(`${resource.resourceType}/${resource.id}`));
    }
  }
  return { references: dedupe(references), identifiers };
}

/** Location.position and anything shaped like it: latitude/longitude within range. */
export function positionValues(values: TypedValue[]): PositionValue[] {
  const result: PositionValue[] = [];
  for (const { value } of values) {
    const { latitude, longitude } = (value ?? {}) as { latitude?: unknown; longitude?: unknown };
    if (isNumber(latitude) && isNumber(longitude) && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) {
      result.push({ lat: latitude, lng: longitude });
    }
  }
  return result;
}

export function uriValues(values: TypedValue[]): string[] {
  const result = new Set<string>();
  for (const { value } of values) {
    if (typeof value === 'string' && value) {
      result.add(capIndexedText(sanitizeText(value)));
    }
  }
  return Array.from(result);
}

function isReferenceLike(value: unknown): boolean {
  return !!value && typeof value === 'object' && ('reference' in value || 'identifier' in value) && !('resourceType' in value);
}

function dedupe(values: ReferenceValue[]): ReferenceValue[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = `${v.targetType}\u0001${v.targetId}\u0001${v.targetUrl}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

function cleanOrNull(value: string | undefined | null): string | null {
  return value ? capIndexedText(sanitizeText(value)) : null;
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
