import { sanitizeText } from './text-normalize.ts';

/**
 * Collects bound parameters while SQL text is assembled: every value reaches PostgreSQL as a
 * parameter ($n), never inside the SQL text.
 */
export class QueryParams {
  readonly values: unknown[] = [];

  /** Adds a value and returns its placeholder. */
  /** A copy holding the same values, to which a variant of the statement adds its own. */
  clone(): QueryParams {
    const copy = new QueryParams();
    copy.values.push(...this.values);
    return copy;
  }

  add(value: string | number | boolean | null | string[]): string {
    const clean =
      typeof value === 'string' ? sanitizeText(value) : Array.isArray(value) ? value.map(sanitizeText) : value;
    this.values.push(clean);
    return `$${this.values.length}`;
  }
}
