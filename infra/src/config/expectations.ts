import { z } from 'zod';

/**
 * Human wording of what a setting accepts ("a number between 1 and 65535"). A config error
 * prints this instead of zod's generic text, whichever check (type, range, format) failed.
 */
export const expectations = z.registry<{ expected: string }>();

export function expecting<Schema extends z.ZodType>(schema: Schema, expected: string): Schema {
  expectations.add(schema, { expected });
  return schema;
}
