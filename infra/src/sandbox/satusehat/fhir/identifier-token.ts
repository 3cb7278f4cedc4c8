import { identifiersOf } from './fhir-json.ts';

/**
 * The value of an `identifier` search parameter: `system|value`, `|value` (no system), `system|`
 * (any value) or `value` (any system). The query string is already percent-decoded, so `|` and
 * `%7C` arrive the same.
 */
export interface IdentifierToken {
  /** undefined: any system; '': identifiers without a system. */
  system?: string;
  /** undefined: any value. */
  value?: string;
}

export function parseIdentifierToken(text: string): IdentifierToken {
  const bar = text.indexOf('|');
  if (bar < 0) return { value: text };
  const system = text.slice(0, bar);
  const value = text.slice(bar + 1);
  return { system, value: value === '' ? undefined : value };
}

export function hasIdentifier(resource: Record<string, unknown>, token: IdentifierToken): boolean {
  return identifiersOf(resource).some(
    (identifier) =>
      (token.system === undefined || (identifier.system ?? '') === token.system) &&
      (token.value === undefined || identifier.value === token.value),
  );
}
