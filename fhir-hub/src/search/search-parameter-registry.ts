/**
 * SearchParameters added at run time. A SearchParameter resource written to the hub (status active,
 * with base, type and expression) becomes searchable and is indexed for every write that follows,
 * in every replica: the writing replica applies it at once (and rejects a bad one with a 400 that
 * rolls the write back), and a NOTIFY on commit makes every replica reload the set from the
 * database. Resources stored before need `simpul reindex [type]` (reindex.ts).
 * Base R4 parameters cannot be redefined: a stored copy of one (a seeded definition) is ignored.
 */
import {
  badRequest,
  getSearchParameterDetails,
  getSearchParameters,
  globalSchema,
  indexSearchParameter,
  isResourceType,
  OperationOutcomeError,
  parseFhirPath,
} from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';
import type { WriteListener } from '../repo/write-events.ts';
import { initSearchDefinitions, invalidateSearchPlans } from './definitions.ts';
import { invalidateIncludeCodes } from './include.ts';

export const SEARCH_PARAMETERS_CHANNEL = 'simpul_search_parameters';

const RUNTIME_TYPES = new Set(['token', 'string', 'date', 'number', 'quantity', 'reference', 'uri']);
const CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

let baseKeys: Set<string> | undefined;

/** `Type.code` of every parameter loaded from the R4 definitions, taken before any runtime one. */
function isBaseParameter(type: string, code: string): boolean {
  if (!baseKeys) {
    initSearchDefinitions();
    baseKeys = new Set();
    for (const t of Object.keys(globalSchema.types)) {
      for (const c of Object.keys(getSearchParameters(t) ?? {})) baseKeys.add(`${t}.${c}`);
    }
  }
  return baseKeys.has(`${type}.${code}`);
}

export class SearchParameterRegistry {
  private readonly sql: Sql;
  private readonly logger: Logger;
  /** Registered runtime definitions by SearchParameter id. */
  private readonly active = new Map<string, SearchParameter>();
  private unlisten: (() => Promise<void>) | undefined;
  private reloading: Promise<void> | undefined;

  constructor(sql: Sql, logger: Logger) {
    this.sql = sql;
    this.logger = logger;
    isBaseParameter('Patient', 'name'); // snapshot the base set now
  }

  async start(): Promise<void> {
    const listener = await this.sql.listen(SEARCH_PARAMETERS_CHANNEL, () => {
      this.reload().catch((err: unknown) => this.logger.error({ err }, 'reloading search parameters failed'));
    });
    this.unlisten = () => listener.unlisten();
    await this.reload();
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }

  /** Reads every stored SearchParameter and makes the registered set match it. */
  async reload(): Promise<void> {
    if (this.reloading) return this.reloading;
    this.reloading = (async () => {
      const rows = await this.sql<{ content: string }[]>`
        SELECT content FROM resource WHERE resource_type = 'SearchParameter' AND NOT deleted`;
      const wanted = new Map<string, SearchParameter>();
      for (const row of rows) {
        const definition = JSON.parse(row.content) as SearchParameter;
        if (definition.id && usable(definition, this.logger)) wanted.set(definition.id, definition);
      }
      for (const id of [...this.active.keys()]) {
        if (!wanted.has(id)) this.unregister(id);
      }
      for (const definition of wanted.values()) {
        this.register(definition);
      }
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  /** The write listener: checks and applies SearchParameter writes, and tells the other replicas. */
  writeListener(): WriteListener {
    return async (event) => {
      if (event.resource.resourceType !== 'SearchParameter') return;
      const definition = event.resource as SearchParameter & { id: string };
      if (event.interaction === 'delete') {
        this.unregister(definition.id);
      } else {
        assertIndexable(definition);
        if (usable(definition, this.logger)) this.register(definition);
        else this.unregister(definition.id);
      }
      await event.db`SELECT pg_notify(${SEARCH_PARAMETERS_CHANNEL}, ${definition.id})`;
    };
  }

  /** The runtime definitions in force (for tests and diagnostics). */
  registered(): SearchParameter[] {
    return [...this.active.values()];
  }

  private register(definition: SearchParameter): void {
    const previous = this.active.get(definition.id as string);
    if (previous && JSON.stringify(previous) === JSON.stringify(definition)) return;
    if (previous) this.unregister(definition.id as string);
    indexSearchParameter(definition);
    this.active.set(definition.id as string, definition);
    this.changed(definition);
    this.logger.info({ code: definition.code, base: definition.base }, 'search parameter registered');
  }

  private unregister(id: string): void {
    const definition = this.active.get(id);
    if (!definition) return;
    for (const type of definition.base ?? []) {
      const schema = globalSchema.types[type];
      // By id, not identity: another registry in this process may have indexed its own copy.
      const params = schema?.searchParams;
      if (params && params[definition.code as string]?.id === definition.id) {
        delete params[definition.code as string];
      }
    }
    this.active.delete(id);
    this.changed(definition);
  }

  private changed(definition: SearchParameter): void {
    for (const type of definition.base ?? []) {
      delete globalSchema.types[type]?.searchParamsDetails?.[definition.code as string];
    }
    invalidateSearchPlans(definition.base as string[]);
    invalidateIncludeCodes();
  }
}

/** Active, well-formed, and not a redefinition of a base R4 parameter. */
function usable(definition: SearchParameter, logger: Logger): boolean {
  if (definition.status !== 'active' || !isWellFormed(definition)) return false;
  const clashing = (definition.base ?? []).filter((type) => isBaseParameter(type, definition.code as string));
  if (clashing.length > 0) {
    logger.debug({ code: definition.code, clashing }, 'stored SearchParameter names a base parameter; the base definition stays');
    return false;
  }
  return true;
}

function isWellFormed(definition: SearchParameter): boolean {
  try {
    assertIndexable(definition);
    return true;
  } catch {
    return false;
  }
}

/** An active SearchParameter the hub cannot index is rejected (400) rather than stored unused. */
function assertIndexable(definition: SearchParameter): void {
  if (definition.status !== 'active') return;
  const fail = (message: string, path: string): never => {
    throw new OperationOutcomeError(badRequest(message, `SearchParameter.${path}`));
  };
  if (!definition.code || !CODE.test(definition.code)) fail('An active SearchParameter needs a code of letters, digits, - _ .', 'code');
  if (!definition.base?.length) fail('An active SearchParameter needs at least one base resource type', 'base');
  for (const type of definition.base ?? []) {
    if (!isResourceType(type) || !getSearchParameters(type)) fail(`SearchParameter.base ${type} is not a searchable resource type`, 'base');
  }
  if (!RUNTIME_TYPES.has(definition.type as string)) {
    fail(`Search parameters of type ${definition.type} cannot be added at run time (token, string, date, number, quantity, reference, uri can)`, 'type');
  }
  if (!definition.expression) fail('An active SearchParameter needs a FHIRPath expression', 'expression');
  try {
    parseFhirPath(definition.expression as string);
    for (const type of definition.base ?? []) {
      checkDetails(type, definition);
    }
  } catch (err) {
    fail(`SearchParameter.expression cannot be evaluated: ${(err as Error).message}`, 'expression');
  }
}

/**
 * Core works out what an expression points at when it indexes (and throws for functions it cannot
 * evaluate, such as extension(url)): do that now, leaving core's cache as it was.
 */
function checkDetails(type: string, definition: SearchParameter): void {
  const code = definition.code as string;
  const cache = globalSchema.types[type]?.searchParamsDetails;
  const previous = cache?.[code];
  if (cache) delete cache[code];
  try {
    getSearchParameterDetails(type, definition);
  } finally {
    const after = globalSchema.types[type]?.searchParamsDetails;
    if (after) {
      if (previous) after[code] = previous;
      else delete after[code];
    }
  }
}
