import type { z } from 'zod';
import { expectations } from './expectations.ts';

/**
 * Reading a zod schema's structure, so that the loader can tell what a path expects: the known
 * keys of a mapping (for "did you mean"), whether a leaf is a number (to parse env text), and the
 * human wording registered for it.
 */

type Schema = z.core.$ZodType;

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/** The schema and every wrapper under it, outermost first, down to the schema that does the checking. */
export function layersOf(schema: Schema): Schema[] {
  const layers: Schema[] = [];
  let current: Schema | undefined = schema;
  while (current && !layers.includes(current)) {
    layers.push(current);
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
    if (WRAPPERS.has(def.type)) {
      current = def.innerType as Schema;
    } else if (def.type === 'pipe') {
      // `.transform()` puts the input schema in `in`; `z.preprocess()` puts the transform there instead.
      const input = def.in as Schema;
      current = input._zod.def.type === 'transform' ? (def.out as Schema) : input;
    } else if (def.type === 'lazy') {
      current = (def.getter as () => Schema)();
    } else {
      current = undefined;
    }
  }
  return layers;
}

function baseOf(schema: Schema): Schema {
  const layers = layersOf(schema);
  return layers[layers.length - 1];
}

function unionOptions(base: Schema): Schema[] | undefined {
  const def = base._zod.def as unknown as { type: string; options?: Schema[] };
  return def.type === 'union' ? def.options : undefined;
}

/** The schema of `key` inside `schema`, or undefined when `schema` has no such child. */
export function childSchema(schema: Schema, key: PropertyKey): Schema | undefined {
  const base = baseOf(schema);
  const def = base._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, Schema>;
      if (typeof key === 'string' && Object.hasOwn(shape, key)) return shape[key];
      return (def.catchall as Schema | undefined) ?? undefined;
    }
    case 'record':
      return def.valueType as Schema;
    case 'array':
      return typeof key === 'number' ? (def.element as Schema) : undefined;
    case 'tuple':
      return typeof key === 'number' ? ((def.items as Schema[])[key] ?? (def.rest as Schema | undefined)) : undefined;
    case 'union':
      for (const option of unionOptions(base) ?? []) {
        const child = childSchema(option, key);
        if (child) return child;
      }
      return undefined;
    default:
      return undefined;
  }
}

export function schemaAt(root: Schema, path: readonly PropertyKey[]): Schema | undefined {
  let current: Schema | undefined = root;
  for (const key of path) {
    if (!current) return undefined;
    current = childSchema(current, key);
  }
  return current;
}

/** The keys a mapping schema accepts; undefined when it is not a fixed-key mapping. */
export function knownKeys(schema: Schema): string[] | undefined {
  const base = baseOf(schema);
  const def = base._zod.def as unknown as { type: string; shape?: Record<string, Schema> };
  if (def.type === 'object' && def.shape) return Object.keys(def.shape);
  const options = unionOptions(base);
  if (!options) return undefined;
  const keys = new Set<string>();
  for (const option of options) for (const key of knownKeys(option) ?? []) keys.add(key);
  return keys.size > 0 ? [...keys] : undefined;
}

/** The base types a leaf accepts (`number`, `string`, `boolean`, `enum`...), unions flattened. */
export function leafTypes(schema: Schema): Set<string> {
  const base = baseOf(schema);
  const options = unionOptions(base);
  if (!options) return new Set([base._zod.def.type]);
  return new Set(options.flatMap((option) => [...leafTypes(option)]));
}

/** The registered human wording of what `schema` accepts, looking through its wrappers. */
export function expectationOf(schema: Schema): string | undefined {
  for (const layer of layersOf(schema)) {
    const meta = expectations.get(layer as z.ZodType);
    if (meta) return meta.expected;
  }
  return undefined;
}
