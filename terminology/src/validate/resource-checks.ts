/**
 * Structural checks of the parts of a terminology resource the store indexes. The indices and
 * operations trust what passes here, so hostile or hand-written input is stopped with a named
 * element path instead of a TypeError deep inside an operation.
 *
 * Why not `@medplum/core`'s validateResource: it took 56 s for a 100 000-concept CodeSystem
 * (measured) and does not check what we depend on (e.g. a bogus ConceptMap equivalence passed).
 */

export interface ResourceProblem {
  /** FHIRPath-like element path: `CodeSystem.concept[3].code`. */
  path: string;
  message: string;
}

/** After this many problems the rest of a resource is not worth reporting one by one. */
const MAX_PROBLEMS = 1000;

const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
/** FHIR `code`: no leading/trailing whitespace, no runs of whitespace other than single spaces. */
const FHIR_CODE = /^[^\s]+( [^\s]+)*$/;

export type JsonObject = Record<string, unknown>;

export function isAbsoluteUri(value: string): boolean {
  return ABSOLUTE_URI.test(value);
}

export function isValidCode(value: string): boolean {
  return FHIR_CODE.test(value);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects problems and reads typed fields, recording a problem for each wrong one. */
export class ProblemList {
  readonly items: ResourceProblem[] = [];
  private dropped = 0;

  add(path: string, message: string): void {
    if (this.items.length < MAX_PROBLEMS) this.items.push({ path, message });
    else this.dropped++;
  }

  /** Problems plus a closing line when some were dropped. */
  all(): ResourceProblem[] {
    if (this.dropped === 0) return this.items;
    return [...this.items, { path: '', message: `... and ${this.dropped} more problems in this resource` }];
  }

  get count(): number {
    return this.items.length + this.dropped;
  }

  string(object: JsonObject, key: string, path: string, required = false): string | undefined {
    const value = object[key];
    if (value === undefined || value === null) {
      if (required) this.add(`${path}.${key}`, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(`${path}.${key}`, `must be a string, found ${describe(value)}`);
      return undefined;
    }
    if (required && value.trim() === '') {
      this.add(`${path}.${key}`, 'must not be empty');
      return undefined;
    }
    return value;
  }

  code(object: JsonObject, key: string, path: string, required = false): string | undefined {
    const value = this.string(object, key, path, required);
    if (value !== undefined && !FHIR_CODE.test(value)) {
      this.add(`${path}.${key}`, `${JSON.stringify(value)} is not a valid code (no leading, trailing or repeated whitespace)`);
      return undefined;
    }
    return value;
  }

  uri(object: JsonObject, key: string, path: string, required = false): string | undefined {
    const value = this.string(object, key, path, required);
    if (value !== undefined && !ABSOLUTE_URI.test(value)) {
      this.add(`${path}.${key}`, `${JSON.stringify(value)} is not an absolute URI (expected e.g. http://example.org/fhir/CodeSystem/x)`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(object: JsonObject, key: string, path: string, allowed: readonly T[], required = false): T | undefined {
    const value = this.string(object, key, path, required);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      this.add(`${path}.${key}`, `unknown value ${JSON.stringify(value)} (expected one of ${allowed.join(', ')})`);
      return undefined;
    }
    return value as T;
  }

  boolean(object: JsonObject, key: string, path: string): boolean | undefined {
    const value = object[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.add(`${path}.${key}`, `must be true or false, found ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  /** An optional array; `required` also rejects an empty one. Items are checked by the caller. */
  array(object: JsonObject, key: string, path: string, required = false): unknown[] | undefined {
    const value = object[key];
    if (value === undefined || value === null) {
      if (required) this.add(`${path}.${key}`, 'is required');
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add(`${path}.${key}`, `must be a list, found ${describe(value)}`);
      return undefined;
    }
    if (required && value.length === 0) this.add(`${path}.${key}`, 'must not be empty');
    return value;
  }

  /** An optional object-valued element. */
  object(object: JsonObject, key: string, path: string): JsonObject | undefined {
    const value = object[key];
    if (value === undefined || value === null) return undefined;
    if (!isJsonObject(value)) {
      this.add(`${path}.${key}`, `must be an object, found ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  /** Each item of a list that must hold objects; non-objects are reported and skipped. */
  objects(items: unknown[] | undefined, path: string): Array<[JsonObject, string]> {
    const result: Array<[JsonObject, string]> = [];
    items?.forEach((item, index) => {
      const itemPath = `${path}[${index}]`;
      if (isJsonObject(item)) result.push([item, itemPath]);
      else this.add(itemPath, `must be an object, found ${describe(item)}`);
    });
    return result;
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
