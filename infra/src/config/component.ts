import type { z } from 'zod';

/**
 * One top-level section of `simpul.yaml`: its key, its schema (which owns the defaults) and the
 * environment variables that override its settings.
 */
export interface ConfigComponent<Key extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly key: Key;
  readonly schema: Schema;
  /** Setting path inside the section (dotted) → the environment variable that overrides it. */
  readonly env: Readonly<Record<string, string>>;
}

export function defineComponent<Key extends string, Schema extends z.ZodType>(
  key: Key,
  schema: Schema,
  env: Readonly<Record<string, string>> = {},
): ConfigComponent<Key, Schema> {
  return { key, schema, env };
}
