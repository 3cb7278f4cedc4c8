import type { Bundle, Device, Provenance, Resource } from '@medplum/fhirtypes';
import type { CodeTranslator, UnmappedCode } from '../ingest/hl7/index.ts';
import { MESSAGE_STORE_SYSTEM } from '../ingest/hl7/index.ts';
import { identifierSearch, TransactionBuilder } from '../ingest/hl7/transaction-builder.ts';
import type { CompiledTemplate, CompiledValue } from './compile-template.ts';
import { toDate, toDateTime } from './date-time.ts';
import { MappingTemplateError } from './mapping-template-error.ts';

/** Identifier systems of the sending system (a Device, created once per source). */
export const SOURCE_SYSTEMS = {
  sql: 'https://simpul.dev/fhir/id/sql-source',
  webhook: 'https://simpul.dev/fhir/id/webhook-source',
} as const;

export interface TemplateMappingContext {
  kind: keyof typeof SOURCE_SYSTEMS;
  /** The source name (`sql.<name>`, `webhook.<name>`). */
  source: string;
  /** The message store id: names the Provenance, so a replay rewrites the same one. */
  messageId: string;
  receivedAt: string;
  /** Named in errors: the SQL row's key, the webhook's idempotency key or message id. */
  rowKey: string;
  translator: CodeTranslator;
}

export interface TemplateMappingResult {
  bundle: Bundle;
  patientKey?: string;
  messageType?: string;
  unmappedCodes: UnmappedCode[];
}

/**
 * Runs a compiled template over one row or body: a transaction of conditional writes (PUT on
 * `identifier=<system>|<value>`, or POST with `ifNoneExist`), then the source as a Device and a
 * Provenance naming the message, as the HL7 v2 mapper does. Pure but for the translator: the same
 * input gives the same bundle (fullUrls are derived from the conditional URLs).
 *
 * Functions the expressions may call besides JSONata's own:
 * `$translate(system, code, targetSystem)` → a Coding, or nothing when no map has the code (listed as unmapped);
 * `$ref(name)` → the fullUrl of an earlier entry, for references (`subject: { reference: "=$ref('patient')" }`);
 * `$dateTime(value)` → a FHIR dateTime from a database time (the template's `timeZone` when it has no offset);
 * `$date(value)` → `YYYY-MM-DD`. Variables: `$source`, `$messageId`, `$receivedAt`.
 */
export async function mapWithTemplate(template: CompiledTemplate, input: unknown, ctx: TemplateMappingContext): Promise<TemplateMappingResult> {
  const builder = new TransactionBuilder();
  const refs = new Map<string, string>();
  const unmappedCodes: UnmappedCode[] = [];
  const bindings: Record<string, unknown> = {
    source: ctx.source,
    messageId: ctx.messageId,
    receivedAt: ctx.receivedAt,
    translate: (system: unknown, code: unknown, targetSystem: unknown) => {
      if (code === undefined || code === null || code === '') return undefined;
      if (typeof system !== 'string' || typeof targetSystem !== 'string') throw new Error('$translate(system, code, targetSystem): system and targetSystem must be text');
      const result = ctx.translator.translate(system, String(code), targetSystem);
      if (result.mapped) return result.coding;
      unmappedCodes.push({ field: 'template', system, code: String(code), targetSystem });
      return undefined;
    },
    ref: (name: unknown) => {
      const fullUrl = refs.get(String(name));
      if (!fullUrl) throw new Error(`$ref("${String(name)}"): no earlier resource entry with that name was written for this input`);
      return fullUrl;
    },
    dateTime: (value: unknown) => toDateTime(value, template.timeZone),
    date: (value: unknown) => toDate(value),
  };
  const evaluate = (value: CompiledValue) => evaluateValue(value, input, bindings, template.origin, ctx.rowKey);

  for (const entry of template.entries) {
    if (entry.when && !truthy(await evaluate(entry.when))) continue;
    const system = identifierText(await evaluate(entry.identifier.system), `${entry.path}.identifier.system`);
    const value = identifierText(await evaluate(entry.identifier.value), `${entry.path}.identifier.value`);
    const search = identifierSearch(system, value);
    if (entry.name) refs.set(entry.name, builder.fullUrlFor(entry.resourceType as Resource['resourceType'], search));
    const resource = (await evaluate(entry.resource)) as Resource | undefined;
    if (!resource || resource.resourceType !== entry.resourceType) {
      throw new MappingTemplateError({ reason: 'invalid-result', template: template.origin, path: `${entry.path}.resource`, rowKey: ctx.rowKey, message: 'the resource evaluated to nothing' });
    }
    withIdentifier(resource, system, value);
    if (entry.method === 'put') builder.put(resource, search);
    else builder.createIfNoneExist(resource, search);
  }
  appendSourceProvenance(builder, ctx);

  const patientKey = template.patientKey ? await evaluate(template.patientKey) : undefined;
  const messageType = template.messageType ? await evaluate(template.messageType) : undefined;
  return {
    bundle: builder.build(),
    ...(patientKey !== undefined ? { patientKey: String(patientKey) } : {}),
    ...(messageType !== undefined ? { messageType: String(messageType) } : {}),
    unmappedCodes,
  };

  function identifierText(result: unknown, path: string): string {
    if ((typeof result === 'string' && result.trim() !== '') || (typeof result === 'number' && Number.isFinite(result))) return String(result).trim();
    throw new MappingTemplateError({
      reason: 'expression-failed',
      template: template.origin,
      path,
      rowKey: ctx.rowKey,
      message: `the business identifier is empty (got ${JSON.stringify(result) ?? 'nothing'}): every write must be conditional on one`,
    });
  }
}

async function evaluateValue(value: CompiledValue, input: unknown, bindings: Record<string, unknown>, origin: string, rowKey: string): Promise<unknown> {
  switch (value.kind) {
    case 'literal':
      return prune(value.value);
    case 'expression': {
      let result: unknown;
      try {
        result = await value.expression.evaluate(input, bindings);
      } catch (err) {
        throw new MappingTemplateError({ reason: 'expression-failed', template: origin, path: value.path, expression: value.text, rowKey, message: (err as Error).message, cause: err });
      }
      return prune(toPlainJson(result));
    }
    case 'array': {
      const items: unknown[] = [];
      for (const item of value.items) {
        const result = await evaluateValue(item, input, bindings, origin, rowKey);
        // An expression yielding a list inside a list is spread: `given: ["=first_name", "=middle_names"]`.
        if (Array.isArray(result) && item.kind === 'expression') items.push(...result);
        else if (result !== undefined) items.push(result);
      }
      return items.length > 0 ? items : undefined;
    }
    case 'object': {
      const object: Record<string, unknown> = {};
      for (const [key, item] of value.entries) {
        const result = await evaluateValue(item, input, bindings, origin, rowKey);
        if (result !== undefined) object[key] = result;
      }
      return Object.keys(object).length > 0 ? object : undefined;
    }
  }
}

/** JSONata sequences and frozen values as plain JSON (functions and undefined disappear). */
function toPlainJson(value: unknown): unknown {
  if (value === undefined || typeof value === 'function') return undefined;
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** FHIR has no empty values: null, "", [] and {} are left out. */
function prune(value: unknown): unknown {
  if (value === null || value === undefined || value === '') return undefined;
  if (Array.isArray(value)) {
    const items = value.map(prune).filter((item) => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => [key, prune(item)] as const).filter(([, item]) => item !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  return value;
}

function truthy(value: unknown): boolean {
  return Boolean(value) && !(Array.isArray(value) && value.length === 0);
}

/** The resource carries the identifier its write is conditional on, so the next search finds it. */
function withIdentifier(resource: Resource, system: string, value: string): void {
  const holder = resource as Resource & { identifier?: Array<{ system?: string; value?: string }> | { system?: string; value?: string } };
  if (holder.identifier !== undefined && !Array.isArray(holder.identifier)) return;
  const identifiers = holder.identifier ?? [];
  if (!identifiers.some((identifier) => identifier.system === system && identifier.value === value)) {
    holder.identifier = [...identifiers, { system, value }];
  }
}

function appendSourceProvenance(builder: TransactionBuilder, ctx: TemplateMappingContext): void {
  const system = SOURCE_SYSTEMS[ctx.kind];
  const targets = builder.fullUrls.map((reference) => ({ reference }));
  const device: Device = {
    resourceType: 'Device',
    identifier: [{ system, value: ctx.source }],
    status: 'active',
    deviceName: [{ name: `${ctx.kind} source ${ctx.source}`, type: 'user-friendly-name' }],
  };
  const deviceReference = builder.createIfNoneExist(device, identifierSearch(system, ctx.source));
  const provenance: Provenance = {
    resourceType: 'Provenance',
    target: targets,
    recorded: ctx.receivedAt,
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author', display: 'Author' }] },
        who: { ...deviceReference, display: ctx.source },
      },
    ],
    entity: [
      {
        role: 'source',
        what: {
          identifier: { system: MESSAGE_STORE_SYSTEM, value: ctx.messageId },
          display: `${ctx.kind === 'sql' ? 'SQL row' : 'webhook body'} ${ctx.rowKey} from ${ctx.source}`,
        },
      },
    ],
  };
  builder.put(provenance, identifierSearch(MESSAGE_STORE_SYSTEM, ctx.messageId, 'entity:identifier'));
}
