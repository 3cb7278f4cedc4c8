import { z } from 'zod';

export type BodyCheck = (body: unknown) => string | undefined;

/**
 * The source's body checks, compiled once: `requiredFields` (dotted paths that must hold a value)
 * and an optional JSON Schema (through zod's JSON Schema reader). Each returns why a body fails, or undefined.
 */
export function compileBodyCheck(options: { requiredFields: readonly string[]; schema?: Record<string, unknown> }, configKey: string): BodyCheck {
  let schema: z.ZodType | undefined;
  if (options.schema) {
    try {
      schema = z.fromJSONSchema(options.schema as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (err) {
      throw new Error(`${configKey}.schema: not a JSON Schema zod can read: ${(err as Error).message}`, { cause: err });
    }
  }
  return (body) => {
    for (const field of options.requiredFields) {
      const value = field.split('.').reduce<unknown>((node, part) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), body);
      if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) return `required field "${field}" is missing or empty`;
    }
    if (schema) {
      const result = schema.safeParse(body);
      if (!result.success) {
        const issue = result.error.issues[0];
        return `the body does not match the source's schema at ${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`;
      }
    }
    return undefined;
  };
}
