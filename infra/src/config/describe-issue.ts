import type { z } from 'zod';
import type { ConfigProblem } from './config-error.ts';
import { formatPath } from './config-error.ts';
import { closestKey } from './did-you-mean.ts';
import { isPlainObject } from './plain-object.ts';
import { isSecretKey, REDACTED, redactUrlCredentials } from './redact.ts';
import { expectationOf, knownKeys, schemaAt } from './schema-walk.ts';

type Issue = z.core.$ZodIssue;

export interface IssueContext {
  root: z.core.$ZodType;
  /** Where a key path's value came from: the file, or `env NAME`. */
  sourceOf: (path: string) => string;
}

/** Turns one zod issue into operator-facing problems (an unknown-keys issue gives one per key). */
export function describeIssue(issue: Issue, context: IssueContext): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') return describeUnknownKeys(issue, context);
  const path = formatPath(issue.path);
  const schema = schemaAt(context.root, issue.path);
  const expected = (schema && expectationOf(schema)) ?? expectedFromIssue(issue);
  const lastKey = issue.path[issue.path.length - 1];
  const found = describeValue(issue.input, typeof lastKey === 'string' && isSecretKey(lastKey));
  return [{ file: context.sourceOf(path), path, expected, found, message: `expected ${expected}, found ${found}` }];
}

function describeUnknownKeys(issue: z.core.$ZodIssueUnrecognizedKeys, context: IssueContext): ConfigProblem[] {
  const parent = schemaAt(context.root, issue.path);
  const known = (parent && knownKeys(parent)) ?? [];
  return issue.keys.map((key) => {
    const path = formatPath([...issue.path, key]);
    const suggestion = closestKey(key, known);
    const hint = suggestion ? `did you mean ${JSON.stringify(suggestion)}?` : `known keys: ${known.join(', ')}`;
    return {
      file: context.sourceOf(path),
      path,
      expected: `one of ${known.join(', ')}`,
      found: JSON.stringify(key),
      message: `unknown key ${JSON.stringify(key)} (${hint})`,
    };
  });
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping of keys to values',
  record: 'a mapping of keys to values',
  array: 'a list',
  tuple: 'a list',
  null: 'nothing (null)',
};

function expectedFromIssue(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_WORDS[issue.expected] ?? issue.expected;
    case 'too_small':
      return `${measured(issue.origin)} ${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum}${unitOf(issue.origin)}`;
    case 'too_big':
      return `${measured(issue.origin)} ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}${unitOf(issue.origin)}`;
    case 'invalid_value':
      return `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_format':
      return describeFormat(issue);
    case 'not_multiple_of':
      return `a multiple of ${issue.divisor}`;
    default:
      return issue.message;
  }
}

function measured(origin: string): string {
  if (origin === 'string') return 'text of';
  if (origin === 'array' || origin === 'set') return 'a list of';
  return 'a number';
}

function unitOf(origin: string): string {
  if (origin === 'string') return ' characters';
  if (origin === 'array' || origin === 'set') return ' items';
  return '';
}

function describeFormat(issue: z.core.$ZodIssueInvalidStringFormat): string {
  const details = issue as z.core.$ZodIssueInvalidStringFormat & { prefix?: string; suffix?: string; includes?: string };
  switch (issue.format) {
    case 'regex':
      return `text matching ${issue.pattern}`;
    case 'starts_with':
      return `text starting with ${JSON.stringify(details.prefix)}`;
    case 'ends_with':
      return `text ending with ${JSON.stringify(details.suffix)}`;
    case 'includes':
      return `text containing ${JSON.stringify(details.includes)}`;
    case 'url':
      return 'a URL';
    default:
      return `a valid ${issue.format}`;
  }
}

const MAX_SHOWN = 80;

/** How the operator's value is shown in a problem: quoted text, a number, "a list of 3 items"... */
export function describeValue(value: unknown, secret = false): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (value === null) return 'nothing (an empty value)';
  if (secret) return JSON.stringify(REDACTED);
  if (typeof value === 'string') {
    const shown = redactUrlCredentials(value);
    return JSON.stringify(shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…` : shown);
  }
  if (Array.isArray(value)) return value.length === 1 ? 'a list of 1 item' : `a list of ${value.length} items`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty mapping' : `a mapping with keys ${keys.join(', ')}`;
  }
  return String(value);
}
