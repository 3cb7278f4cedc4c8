import type { Observation, ObservationReferenceRange, Quantity } from '@medplum/fhirtypes';
import { codedElement } from './coded-element.ts';
import type { MappingSession } from './mapping-session.ts';
import type { SegmentView } from './segment-view.ts';
import { toUcum, UCUM_SYSTEM } from './ucum-units.ts';

type ValueMapper = (session: MappingSession, obx: SegmentView, observation: Observation) => void;

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const COMPARED_NUMBER = /^(<=|>=|<|>)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))$/;

/** OBX-2 value type → how OBX-5 becomes Observation.value[x]. */
const VALUE_TYPES: Readonly<Record<string, ValueMapper>> = {
  NM: numeric,
  SN: structuredNumeric,
  ST: text,
  TX: text,
  FT: text,
  CE: coded,
  CWE: coded,
  CNE: coded,
  CF: coded,
  DT: dateTime,
  TS: dateTime,
  DTM: dateTime,
  TM: time,
};

export function isSupportedValueType(valueType: string): boolean {
  return valueType in VALUE_TYPES;
}

/** Sets Observation.value[x] from OBX-5 by OBX-2; an unknown type is kept as text with a warning. */
export function setObservationValue(session: MappingSession, obx: SegmentView, observation: Observation): void {
  if (obx.repetitions(5).length === 0) {
    return;
  }
  const valueType = obx.value(2).toUpperCase();
  const mapper = VALUE_TYPES[valueType];
  if (!mapper) {
    session.warn('OBX-2', `value type "${valueType}" is not mapped; OBX-5 kept as text`);
    text(session, obx, observation);
    return;
  }
  mapper(session, obx, observation);
}

function numeric(session: MappingSession, obx: SegmentView, observation: Observation): void {
  const raw = obx.value(5);
  if (NUMBER.test(raw)) {
    observation.valueQuantity = quantity(session, obx, Number(raw));
    return;
  }
  const compared = COMPARED_NUMBER.exec(raw);
  if (compared) {
    observation.valueQuantity = { ...quantity(session, obx, Number(compared[2])), comparator: compared[1] as Quantity['comparator'] };
    return;
  }
  session.warn('OBX-5', `"${raw}" is not a number (OBX-2 is NM); kept as text`);
  observation.valueString = raw;
}

/** SN: comparator ^ number ^ separator/suffix ^ number → Quantity, Range, Ratio, or text. */
function structuredNumeric(session: MappingSession, obx: SegmentView, observation: Observation): void {
  const sn = obx.field(5);
  const [comparator, first, separator, second] = [sn.get(1), sn.get(2), sn.get(3), sn.get(4)];
  const one = NUMBER.test(first) ? Number(first) : undefined;
  const two = NUMBER.test(second) ? Number(second) : undefined;
  if (one !== undefined && !separator && !second) {
    const value = quantity(session, obx, one);
    if (['<', '>', '<=', '>='].includes(comparator)) {
      value.comparator = comparator as Quantity['comparator'];
    } else if (comparator && comparator !== '=') {
      observation.valueString = `${comparator}${first}`;
      return;
    }
    observation.valueQuantity = value;
    return;
  }
  if (one !== undefined && two !== undefined && separator === '-' && !comparator) {
    observation.valueRange = { low: quantity(session, obx, one), high: quantity(session, obx, two) };
    return;
  }
  if (one !== undefined && two !== undefined && (separator === ':' || separator === '/') && !comparator) {
    observation.valueRatio = { numerator: { value: one }, denominator: { value: two } };
    return;
  }
  observation.valueString = [comparator, first, separator, second].join('');
}

function text(_session: MappingSession, obx: SegmentView, observation: Observation): void {
  observation.valueString = obx.lines(5).join('\n').trim();
}

function coded(session: MappingSession, obx: SegmentView, observation: Observation): void {
  const [first, ...more] = obx.repetitions(5);
  const concept = codedElement(session, first, 'OBX-5');
  if (concept) {
    observation.valueCodeableConcept = concept;
  }
  if (more.length > 0) {
    session.warn('OBX-5', `${more.length} further coded value(s) not mapped: Observation has one value`);
  }
}

function dateTime(session: MappingSession, obx: SegmentView, observation: Observation): void {
  observation.valueDateTime = session.dateTime('OBX-5', obx.value(5));
}

function time(session: MappingSession, obx: SegmentView, observation: Observation): void {
  const match = /^(\d{2})(\d{2})?(\d{2})?/.exec(obx.value(5));
  if (!match || Number(match[1]) > 23 || Number(match[2] ?? 0) > 59 || Number(match[3] ?? 0) > 59) {
    session.warn('OBX-5', `"${obx.value(5)}" is not an HL7 time; kept as text`);
    observation.valueString = obx.value(5);
    return;
  }
  observation.valueTime = `${match[1]}:${match[2] ?? '00'}:${match[3] ?? '00'}`;
}

/** A number with OBX-6's unit, as UCUM when the unit is (or is known to mean) a UCUM unit. */
function quantity(session: MappingSession, obx: SegmentView, value: number): Quantity {
  const unitId = obx.value(6, 1);
  const unitText = obx.value(6, 2) || unitId;
  const result: Quantity = { value };
  if (!unitId && !unitText) {
    return result;
  }
  result.unit = unitText;
  const ucum = toUcum(unitId || unitText, obx.value(6, 3));
  if (ucum) {
    result.system = UCUM_SYSTEM;
    result.code = ucum;
  } else {
    session.reportUnmapped({ field: 'OBX-6', system: session.codingSystem(obx.value(6, 3), 'OBX-6'), code: unitId || unitText, targetSystem: UCUM_SYSTEM });
  }
  return result;
}

/**
 * OBX-7 → referenceRange: `low-high`, `<high`, `>low` (with OBX-6's unit), anything else as text
 * ("negatif", "< 1:32").
 */
export function referenceRange(session: MappingSession, obx: SegmentView): ObservationReferenceRange | undefined {
  const raw = obx.field(7).text().trim();
  if (!raw) {
    return undefined;
  }
  const between = /^([+-]?\d+(?:\.\d+)?)\s*-\s*([+-]?\d+(?:\.\d+)?)$/.exec(raw);
  if (between) {
    return { low: quantity(session, obx, Number(between[1])), high: quantity(session, obx, Number(between[2])) };
  }
  const bound = /^(<=?|>=?)\s*([+-]?\d+(?:\.\d+)?)$/.exec(raw);
  if (bound) {
    const limit = quantity(session, obx, Number(bound[2]));
    return bound[1].startsWith('<') ? { high: limit, text: raw } : { low: limit, text: raw };
  }
  return { text: raw };
}
