/**
 * Number and quantity search. A search number carries an implied precision (FHIR R4 search
 * §2.1.1.3): "100" means [99.5, 100.5), "100.00" means [99.995, 100.005), "1e2" means [50, 150).
 * eq/ne use that range; gt/lt/ge/le/sa/eb compare with the number itself; ap accepts ±10%.
 * Stored numbers are [low, high] (a decimal has low = high, a Range its bounds).
 * Quantity values are "number", "number|system|code" or "number||code" (code or unit);
 * UCUM units are compared in canonical form (ucum.ts).
 */
import { Operator } from '@medplum/core';
import type { FilterContext } from './filter-context.ts';
import { indexRowExists, invalidValue, prefixedAlternatives, unsupportedOperator } from './filter-context.ts';
import { splitOrValues, splitPipes, unescapeSearchValue } from './search-value.ts';
import { canonicalUnit, UCUM_SYSTEM } from './ucum.ts';

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

interface SearchNumber {
  value: string;
  /** Half the width of the implied precision range, as a numeric literal. */
  halfWidth: string;
}

export function numberFilter(ctx: FilterContext): string | undefined {
  const condition = numberMatch(ctx);
  return condition && indexRowExists(ctx, 'sp_number', condition);
}

/** The condition on an sp_number row `x` for the value's alternatives. */
export function numberMatch(ctx: FilterContext): string | undefined {
  const alternatives = prefixedAlternatives(ctx.operator, splitOrValues(ctx.value));
  if (alternatives.length === 0) {
    return undefined;
  }
  return alternatives
    .map(({ operator, value }) => numberComparison(ctx, operator, parseSearchNumber(ctx, unescapeSearchValue(value)), 'x.low', 'x.high'))
    .join(' OR ');
}

export function quantityFilter(ctx: FilterContext): string | undefined {
  const condition = quantityMatch(ctx);
  return condition && indexRowExists(ctx, 'sp_quantity', condition);
}

/**
 * The condition on an sp_quantity row `x`. A UCUM unit the hub understands compares in canonical
 * units (5.4|http://unitsofmeasure.org|mg/dL finds 54 mg/L); any other unit compares as given.
 */
export function quantityMatch(ctx: FilterContext): string | undefined {
  const alternatives = prefixedAlternatives(ctx.operator, splitOrValues(ctx.value));
  if (alternatives.length === 0) {
    return undefined;
  }
  const conditions = alternatives.map(({ operator, value }) => {
    const [numberPart, system = '', unitCode = ''] = splitPipes(value);
    const n = parseSearchNumber(ctx, numberPart);
    const canonical = system === UCUM_SYSTEM && unitCode ? canonicalUnit(unitCode) : undefined;
    if (canonical) {
      const scaled = scaleSearchNumber(n, canonical.factor);
      const unit = `x.canonical_unit = ${ctx.params.add(canonical.name)}`;
      return `(${unit} AND ${numberComparison(ctx, operator, scaled, 'x.canonical_value', 'x.canonical_value')})`;
    }
    const parts = [numberComparison(ctx, operator, n, 'x.value', 'x.value')];
    if (system) {
      parts.push(`x.system = ${ctx.params.add(system)}`);
    }
    if (unitCode) {
      const p = ctx.params.add(unitCode);
      parts.push(system ? `x.unit_code = ${p}` : `(x.unit_code = ${p} OR x.unit = ${p})`);
    }
    return `(${parts.join(' AND ')})`;
  });
  return conditions.join(' OR ');
}

function scaleSearchNumber(n: SearchNumber, factor: number): SearchNumber {
  return { value: String(Number(n.value) * factor), halfWidth: String(Number(n.halfWidth) * factor) };
}

function parseSearchNumber(ctx: FilterContext, text: string): SearchNumber {
  const m = DECIMAL.exec(text.trim());
  if (!m) {
    throw invalidValue(ctx, text, 'a decimal number such as 5, 5.40 or 1e2');
  }
  const decimals = m[3]?.length ?? 0;
  const exponent = m[4] ? Number(m[4]) : 0;
  return { value: text.trim(), halfWidth: `5e${exponent - decimals - 1}` };
}

function numberComparison(ctx: FilterContext, operator: string, n: SearchNumber, low: string, high: string): string {
  const v = `${ctx.params.add(n.value)}::numeric`;
  switch (operator) {
    case Operator.EQUALS:
    case Operator.NOT_EQUALS: {
      const hw = `${ctx.params.add(n.halfWidth)}::numeric`;
      const inRange = `(${low} >= ${v} - ${hw} AND ${high} < ${v} + ${hw})`;
      return operator === Operator.EQUALS ? inRange : `NOT ${inRange}`;
    }
    case Operator.GREATER_THAN:
      return `${high} > ${v}`;
    case Operator.LESS_THAN:
      return `${low} < ${v}`;
    case Operator.GREATER_THAN_OR_EQUALS:
      return `${high} >= ${v}`;
    case Operator.LESS_THAN_OR_EQUALS:
      return `${low} <= ${v}`;
    case Operator.STARTS_AFTER:
      return `${low} > ${v}`;
    case Operator.ENDS_BEFORE:
      return `${high} < ${v}`;
    case Operator.APPROXIMATELY:
      return `(${low} <= ${v} + abs(${v}) * 0.1 AND ${high} >= ${v} - abs(${v}) * 0.1)`;
    default:
      throw unsupportedOperator({ ...ctx, operator });
  }
}
