import type { Observation, ObservationReferenceRange, Quantity } from '@medplum/fhirtypes';

export function quantityText(quantity: Quantity | undefined): string | undefined {
  if (quantity?.value === undefined) return undefined;
  return `${quantity.comparator ?? ''}${quantity.value}${quantity.unit ?? quantity.code ? ` ${quantity.unit ?? quantity.code}` : ''}`;
}

export function observationValue(observation: Observation): string {
  return (
    quantityText(observation.valueQuantity) ??
    observation.valueString ??
    observation.valueCodeableConcept?.text ??
    observation.valueCodeableConcept?.coding?.[0]?.display ??
    observation.valueCodeableConcept?.coding?.[0]?.code ??
    (observation.valueBoolean !== undefined ? String(observation.valueBoolean) : undefined) ??
    (observation.valueInteger !== undefined ? String(observation.valueInteger) : undefined) ??
    observation.valueDateTime ??
    (observation.dataAbsentReason ? `absent: ${observation.dataAbsentReason.text ?? observation.dataAbsentReason.coding?.[0]?.code}` : '—')
  );
}

export function rangeText(ranges: ObservationReferenceRange[] | undefined): string {
  const range = ranges?.[0];
  if (!range) return '—';
  if (range.text) return range.text;
  const low = quantityText(range.low);
  const high = quantityText(range.high);
  if (low && high) return `${range.low?.value}–${high}`;
  if (low) return `≥ ${low}`;
  if (high) return `≤ ${high}`;
  return '—';
}

export type Flag = 'high' | 'low' | 'critical' | 'abnormal' | 'normal' | 'none';

/** The interpretation flag (v3 ObservationInterpretation), or one computed from the range when none was sent. */
export function observationFlag(observation: Observation): { flag: Flag; code?: string } {
  const code = observation.interpretation?.flatMap((concept) => concept.coding ?? []).find((coding) => coding.code)?.code;
  if (code) {
    if (['HH', 'LL', 'AA', 'HU', 'LU'].includes(code)) return { flag: 'critical', code };
    if (['H', '>'].includes(code)) return { flag: 'high', code };
    if (['L', '<'].includes(code)) return { flag: 'low', code };
    if (['A', 'POS', 'R', 'DET'].includes(code)) return { flag: 'abnormal', code };
    if (code === 'N' || code === 'NEG' || code === 'S') return { flag: 'normal', code };
    return { flag: 'abnormal', code };
  }
  const value = observation.valueQuantity?.value;
  const range = observation.referenceRange?.[0];
  if (value === undefined || !range) return { flag: 'none' };
  if (range.high?.value !== undefined && value > range.high.value) return { flag: 'high', code: 'H' };
  if (range.low?.value !== undefined && value < range.low.value) return { flag: 'low', code: 'L' };
  return { flag: 'normal', code: 'N' };
}
