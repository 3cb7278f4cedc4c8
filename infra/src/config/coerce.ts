import type { z } from 'zod';
import { isPlainObject } from './plain-object.ts';
import { childSchema, leafTypes } from './schema-walk.ts';

/**
 * Environment variables and `${VAR}` results are text; where the schema wants a number or a
 * boolean, text that clearly is one is converted ("8103" → 8103, "true" → true). Anything else is
 * left as it is, so validation reports it with the value the operator wrote.
 */
export function coerceToSchema(value: unknown, schema: z.core.$ZodType | undefined): unknown {
  if (!schema) return value;
  if (typeof value === 'string') return coerceText(value, leafTypes(schema));
  if (Array.isArray(value)) return value.map((item, index) => coerceToSchema(item, childSchema(schema, index)));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, coerceToSchema(item, childSchema(schema, key))]));
  }
  return value;
}

const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN_TEXT = new Map<string, boolean>([
  ['true', true],
  ['false', false],
  ['yes', true],
  ['no', false],
  ['on', true],
  ['off', false],
  ['1', true],
  ['0', false],
]);

function coerceText(text: string, types: ReadonlySet<string>): unknown {
  if (types.has('string') || types.has('enum') || types.has('literal')) return text;
  const trimmed = text.trim();
  if (types.has('number') && NUMBER_TEXT.test(trimmed)) return Number(trimmed);
  if (types.has('boolean')) {
    const flag = BOOLEAN_TEXT.get(trimmed.toLowerCase());
    if (flag !== undefined) return flag;
  }
  return text;
}
