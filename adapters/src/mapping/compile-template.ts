import jsonata from 'jsonata';
import { z } from 'zod';
import { isKnownTimeZone } from '../ingest/hl7/v2-datetime.ts';
import { MappingTemplateError } from './mapping-template-error.ts';

/**
 * A declarative mapping template (shared by SQL rows and webhook bodies), compiled once at start.
 * String values starting with `=` are JSONata expressions over the row or body (`==` escapes a
 * literal leading `=`); everything else is copied as is. Every expression is compiled here, so a
 * syntax error stops the process at start with its path, not at the first row.
 */

export const EXPRESSION_MARKER = '=';

export type CompiledValue =
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'expression'; readonly text: string; readonly expression: jsonata.Expression; readonly path: string }
  | { readonly kind: 'object'; readonly entries: ReadonlyArray<readonly [string, CompiledValue]> }
  | { readonly kind: 'array'; readonly items: readonly CompiledValue[] };

export interface CompiledEntry {
  readonly path: string;
  /** What `$ref('<name>')` in later entries refers to. */
  readonly name?: string;
  /** `put`: conditional update (create or replace) on the identifier; `create`: POST with `ifNoneExist` (never overwrites). */
  readonly method: 'put' | 'create';
  readonly resourceType: string;
  readonly when?: CompiledValue;
  readonly identifier: { readonly system: CompiledValue; readonly value: CompiledValue };
  readonly resource: CompiledValue;
}

export interface CompiledTemplate {
  /** Where the template came from (a file path or the config key): named in every error. */
  readonly origin: string;
  readonly timeZone: string;
  readonly patientKey?: CompiledValue;
  readonly messageType?: CompiledValue;
  readonly entries: readonly CompiledEntry[];
}

const templateSchema = z.strictObject({
  /** Zone of database times without an offset (`$dateTime`). */
  timeZone: z.string().refine(isKnownTimeZone, 'an IANA time zone such as Asia/Jakarta').default('Asia/Jakarta'),
  /** Expression giving the patient's business identifier: recorded in the message store and orders the messages of one patient. */
  patientKey: z.string().min(1).optional(),
  /** Expression or text shown as the message type in the message store. */
  messageType: z.string().min(1).optional(),
  resources: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a name of letters, digits, "-" or "_"').optional(),
        method: z.enum(['put', 'create']).default('put'),
        when: z.string().min(1).optional(),
        identifier: z.strictObject({ system: z.string().min(1), value: z.string().min(1) }),
        resource: z.looseObject({ resourceType: z.string().regex(/^[A-Z][A-Za-z]+$/, 'a FHIR resource type (literal, not an expression)') }),
      }),
    )
    .min(1, 'at least one resource'),
});

export type MappingTemplateInput = z.input<typeof templateSchema>;

export function compileTemplate(input: unknown, origin: string): CompiledTemplate {
  const parsed = templateSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MappingTemplateError({ reason: 'invalid-template', template: origin, path: formatPath(issue.path), message: issue.message });
  }
  const template = parsed.data;
  const names = new Set<string>();
  const entries = template.resources.map((entry, index): CompiledEntry => {
    const path = `resources[${index}]`;
    if (entry.name) {
      if (names.has(entry.name)) {
        throw new MappingTemplateError({ reason: 'invalid-template', template: origin, path: `${path}.name`, message: `"${entry.name}" names another entry too` });
      }
      names.add(entry.name);
    }
    return {
      path,
      ...(entry.name ? { name: entry.name } : {}),
      method: entry.method,
      resourceType: entry.resource.resourceType,
      ...(entry.when ? { when: compileValue(entry.when, `${path}.when`, origin) } : {}),
      identifier: {
        system: compileValue(entry.identifier.system, `${path}.identifier.system`, origin),
        value: compileValue(entry.identifier.value, `${path}.identifier.value`, origin),
      },
      resource: compileValue(entry.resource, `${path}.resource`, origin),
    };
  });
  return {
    origin,
    timeZone: template.timeZone,
    ...(template.patientKey ? { patientKey: compileValue(template.patientKey, 'patientKey', origin) } : {}),
    ...(template.messageType ? { messageType: compileValue(template.messageType, 'messageType', origin) } : {}),
    entries,
  };
}

function compileValue(value: unknown, path: string, origin: string): CompiledValue {
  if (typeof value === 'string') {
    if (value.startsWith(EXPRESSION_MARKER + EXPRESSION_MARKER)) return { kind: 'literal', value: value.slice(1) };
    if (!value.startsWith(EXPRESSION_MARKER)) return { kind: 'literal', value };
    const text = value.slice(1).trim();
    try {
      return { kind: 'expression', text, expression: jsonata(text), path };
    } catch (err) {
      throw new MappingTemplateError({ reason: 'invalid-template', template: origin, path, expression: text, message: `not a JSONata expression: ${(err as Error).message}`, cause: err });
    }
  }
  if (Array.isArray(value)) return { kind: 'array', items: value.map((item, i) => compileValue(item, `${path}[${i}]`, origin)) };
  if (value !== null && typeof value === 'object') {
    return { kind: 'object', entries: Object.entries(value).map(([key, item]) => [key, compileValue(item, `${path}.${key}`, origin)] as const) };
  }
  return { kind: 'literal', value };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)), '');
}
