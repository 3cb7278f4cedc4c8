import { randomUUID } from 'node:crypto';
import { allOk } from '@medplum/core';
import type { FhirRepository, FhirRequest, FhirResponse, FhirRouter } from '@medplum/fhir-router';
import type { CodeSystem, Coding, ConceptMap, Parameters, ValueSet } from '@medplum/fhirtypes';
import {
  expand,
  lookup,
  lookupToParameters,
  translate,
  translateToParameters,
  validateCodeInCodeSystem,
  validateCodeInValueSet,
  validateCodeToParameters,
  type TerminologyStore,
  type TranslateParams,
  type TranslateResult,
  type ValidateCodeResult,
} from '@simpul/terminology';
import type { HubTerminology } from './hub-terminology.ts';
import {
  codeableConceptInput,
  codingInput,
  invalidParameter,
  readOperationInput,
  textInput,
  type OperationDefinition,
  type OperationInput,
} from './operation-parameters.ts';

const LOOKUP: OperationDefinition = {
  name: 'CodeSystem/$lookup',
  parameters: { code: 'text', system: 'text', version: 'text', coding: 'Coding', property: 'text' },
  repeating: ['property'],
  unsupported: ['date', 'displayLanguage'],
};

const CODE_SYSTEM_VALIDATE: OperationDefinition = {
  name: 'CodeSystem/$validate-code',
  parameters: { url: 'text', code: 'text', version: 'text', display: 'text', coding: 'Coding', codeableConcept: 'CodeableConcept' },
  unsupported: ['codeSystem', 'date', 'abstract', 'displayLanguage'],
};

const VALUE_SET_VALIDATE: OperationDefinition = {
  name: 'ValueSet/$validate-code',
  parameters: {
    url: 'text',
    valueSet: 'resource',
    valueSetVersion: 'text',
    code: 'text',
    system: 'text',
    display: 'text',
    coding: 'Coding',
    codeableConcept: 'CodeableConcept',
  },
  unsupported: ['context', 'systemVersion', 'date', 'abstract', 'displayLanguage'],
};

const EXPAND: OperationDefinition = {
  name: 'ValueSet/$expand',
  parameters: {
    url: 'text',
    valueSet: 'resource',
    valueSetVersion: 'text',
    filter: 'text',
    offset: 'integer',
    count: 'integer',
    activeOnly: 'boolean',
    includeDesignations: 'boolean',
    // Expansions are flat lists already, so asking for no nesting changes nothing.
    excludeNested: 'boolean',
  },
  unsupported: [
    'context',
    'contextDirection',
    'date',
    'designation',
    'includeDefinition',
    'excludeNotForUI',
    'excludePostCoordinated',
    'displayLanguage',
    'exclude-system',
    'system-version',
    'check-system-version',
    'force-system-version',
  ],
};

const TRANSLATE: OperationDefinition = {
  name: 'ConceptMap/$translate',
  parameters: {
    url: 'text',
    conceptMapVersion: 'text',
    code: 'text',
    system: 'text',
    version: 'text',
    source: 'text',
    target: 'text',
    targetsystem: 'text',
    coding: 'Coding',
    codeableConcept: 'CodeableConcept',
    reverse: 'boolean',
  },
  aliases: { targetSystem: 'targetsystem' },
  unsupported: ['conceptMap', 'dependency'],
};

type OperationHandler = (input: OperationInput, store: TerminologyStore, request: FhirRequest, repo: FhirRepository) => Promise<Parameters | ValueSet>;

/**
 * The FHIR terminology operations, type level (`ValueSet/$expand?url=...`) and instance level
 * (`ValueSet/<id>/$expand`), GET with query parameters or POST with a Parameters body. Answers
 * come from the HubTerminology's in-memory store; instance forms read the resource through the
 * request's repository first, so access rules apply to them as to a read.
 */
export function registerTerminologyOperations(router: FhirRouter, terminology: HubTerminology): void {
  const routes: [string, OperationDefinition, OperationHandler][] = [
    ['CodeSystem/$lookup', LOOKUP, async (input, store) => runLookup(store, input)],
    ['CodeSystem/:id/$lookup', LOOKUP, async (input, store, request, repo) => runLookup(store, await bindCodeSystem(input, request, repo, 'system'))],
    ['CodeSystem/$validate-code', CODE_SYSTEM_VALIDATE, async (input, store) => runCodeSystemValidate(store, input)],
    [
      'CodeSystem/:id/$validate-code',
      CODE_SYSTEM_VALIDATE,
      async (input, store, request, repo) => runCodeSystemValidate(store, await bindCodeSystem(input, request, repo, 'url')),
    ],
    ['ValueSet/$validate-code', VALUE_SET_VALIDATE, async (input, store) => runValueSetValidate(store, input)],
    ['ValueSet/:id/$validate-code', VALUE_SET_VALIDATE, async (input, store, request, repo) => runValueSetValidate(store, await bindValueSet(input, request, repo))],
    ['ValueSet/$expand', EXPAND, async (input, store) => runExpand(store, input)],
    ['ValueSet/:id/$expand', EXPAND, async (input, store, request, repo) => runExpand(store, await bindValueSet(input, request, repo))],
    ['ConceptMap/$translate', TRANSLATE, async (input, store) => runTranslate(store, input)],
    ['ConceptMap/:id/$translate', TRANSLATE, async (input, store, request, repo) => runTranslate(store, await bindConceptMap(input, request, repo))],
  ];
  for (const [path, definition, handler] of routes) {
    const route = async (request: FhirRequest, repo: FhirRepository): Promise<FhirResponse> => {
      const input = readOperationInput(request, definition);
      const { store } = await terminology.current();
      return [allOk, await handler(input, store, request, repo)];
    };
    router.add('GET', path, route);
    router.add('POST', path, route);
  }
}

function runLookup(store: TerminologyStore, input: OperationInput): Parameters {
  const coding = exclusiveCoding(input, ['code'], 'CodeSystem/$lookup');
  const system = textInput(input, 'system');
  assertCodingSystem(coding, system, 'system');
  return lookupToParameters(
    lookup(store, {
      system: (coding?.system ?? system) as string,
      code: (coding?.code ?? textInput(input, 'code')) as string,
      version: coding?.version ?? textInput(input, 'version'),
      properties: input.property as string[] | undefined,
    }),
  );
}

function runCodeSystemValidate(store: TerminologyStore, input: OperationInput): Parameters {
  const concept = codeableConceptInput(input, 'codeableConcept');
  if (!concept) {
    const coding = exclusiveCoding(input, ['code'], 'CodeSystem/$validate-code');
    const url = textInput(input, 'url');
    const version = textInput(input, 'version');
    assertCodingSystem(coding, url, 'url');
    const params = coding
      ? { url: url ?? coding.system, coding, version }
      : { url, code: textInput(input, 'code'), version, display: textInput(input, 'display') };
    return validateCodeToParameters(validateCodeInCodeSystem(store, params));
  }
  if (input.code !== undefined || input.coding !== undefined) {
    throw invalidParameter('CodeSystem/$validate-code: give one of code, coding or codeableConcept', 'codeableConcept');
  }
  const url = textInput(input, 'url');
  const codings = (concept.coding ?? []).filter((coding) => coding.code && (!url || coding.system === url));
  if (codings.length === 0) {
    throw invalidParameter(`CodeSystem/$validate-code: codeableConcept has no coding${url ? ` from ${url}` : ''} with a code`, 'codeableConcept');
  }
  const results = codings.map((coding) =>
    validateCodeInCodeSystem(store, { url: coding.system ?? url, code: coding.code, display: coding.display, version: textInput(input, 'version') }),
  );
  return validateCodeToParameters(firstValid(results));
}

function runValueSetValidate(store: TerminologyStore, input: OperationInput): Parameters {
  const coding = codingInput(input, 'coding');
  const concept = codeableConceptInput(input, 'codeableConcept');
  const given = [input.code !== undefined, coding !== undefined, concept !== undefined].filter(Boolean).length;
  if (given > 1) throw invalidParameter('ValueSet/$validate-code: give one of code, coding or codeableConcept', 'code');
  const valueSet = inlineValueSet(input);
  const result = validateCodeInValueSet(store, {
    url: textInput(input, 'url'),
    valueSet,
    valueSetVersion: textInput(input, 'valueSetVersion'),
    system: textInput(input, 'system'),
    code: textInput(input, 'code'),
    display: textInput(input, 'display'),
    coding,
    codeableConcept: concept,
  });
  if (result.message && valueSet?.url?.startsWith(INLINE_URL_PREFIX)) {
    result.message = result.message.replaceAll(valueSet.url, 'the inline ValueSet');
  }
  return validateCodeToParameters(result);
}

function runExpand(store: TerminologyStore, input: OperationInput): ValueSet {
  const valueSet = inlineValueSet(input);
  const expansion = expand(store, {
    url: textInput(input, 'url'),
    valueSet,
    valueSetVersion: textInput(input, 'valueSetVersion'),
    filter: textInput(input, 'filter'),
    offset: input.offset as number | undefined,
    count: input.count as number | undefined,
    activeOnly: input.activeOnly as boolean | undefined,
    includeDesignations: input.includeDesignations as boolean | undefined,
  });
  if (valueSet?.url?.startsWith(INLINE_URL_PREFIX)) delete expansion.url;
  return expansion;
}

/** FHIR lets an inline ValueSet go without a url; the store needs one, so it gets a throwaway one. */
const INLINE_URL_PREFIX = 'urn:simpul:inline-value-set:';

function inlineValueSet(input: OperationInput): ValueSet | undefined {
  const valueSet = input.valueSet as ValueSet | undefined;
  if (valueSet === undefined || valueSet.url !== undefined) return valueSet;
  return { ...valueSet, url: `${INLINE_URL_PREFIX}${randomUUID()}` };
}

function runTranslate(store: TerminologyStore, input: OperationInput): Parameters {
  const concept = codeableConceptInput(input, 'codeableConcept');
  const common = {
    url: textInput(input, 'url'),
    conceptMapVersion: textInput(input, 'conceptMapVersion'),
    source: textInput(input, 'source'),
    target: textInput(input, 'target'),
    targetSystem: textInput(input, 'targetsystem'),
    reverse: input.reverse as boolean | undefined,
  };
  if (!concept) {
    const coding = exclusiveCoding(input, ['code', 'system'], 'ConceptMap/$translate');
    return translateToParameters(
      translate(store, {
        ...common,
        system: (coding?.system ?? textInput(input, 'system')) as string,
        code: (coding?.code ?? textInput(input, 'code')) as string,
        version: coding?.version ?? textInput(input, 'version'),
      }),
    );
  }
  if (input.code !== undefined || input.coding !== undefined) {
    throw invalidParameter('ConceptMap/$translate: give one of code, coding or codeableConcept', 'codeableConcept');
  }
  const codings = (concept.coding ?? []).filter((coding) => coding.system && coding.code);
  if (codings.length === 0) throw invalidParameter('ConceptMap/$translate: codeableConcept has no coding with a system and a code', 'codeableConcept');
  const results = codings.map((coding) => translate(store, { ...common, system: coding.system, code: coding.code, version: coding.version } as TranslateParams));
  return translateToParameters(mergeTranslations(results));
}

/** `coding` instead of separate inputs: both at once is ambiguous. */
function exclusiveCoding(input: OperationInput, separate: readonly string[], operation: string): Coding | undefined {
  const coding = codingInput(input, 'coding');
  if (coding && separate.some((name) => input[name] !== undefined)) {
    throw invalidParameter(`${operation}: give either coding or ${separate.join('/')}, not both`, 'coding');
  }
  return coding;
}

function assertCodingSystem(coding: Coding | undefined, system: string | undefined, name: string): void {
  if (coding?.system !== undefined && system !== undefined && coding.system !== system) {
    throw invalidParameter(`coding.system ${coding.system} differs from ${name} ${system}`, 'coding.system');
  }
}

function firstValid(results: ValidateCodeResult[]): ValidateCodeResult {
  const valid = results.find((result) => result.result);
  if (valid) return valid;
  if (results.length === 1) return results[0];
  return { result: false, message: results.map((result) => result.message).join('; ') };
}

function mergeTranslations(results: TranslateResult[]): TranslateResult {
  const matches = results.flatMap((result) => result.matches);
  const result = results.some((r) => r.result);
  const message = result ? undefined : results.map((r) => r.message).filter(Boolean).join('; ');
  return { result, matches, ...(message ? { message } : undefined) };
}

async function bindCodeSystem(input: OperationInput, request: FhirRequest, repo: FhirRepository, urlParameter: 'system' | 'url'): Promise<OperationInput> {
  const codeSystem = await repo.readResource<CodeSystem>('CodeSystem', request.params.id);
  const url = requireUrl(codeSystem.url, `CodeSystem/${codeSystem.id}`);
  assertSame(input, urlParameter, url);
  return { ...input, [urlParameter]: url, ...(codeSystem.version && input.version === undefined ? { version: codeSystem.version } : undefined) };
}

async function bindValueSet(input: OperationInput, request: FhirRequest, repo: FhirRepository): Promise<OperationInput> {
  if (input.valueSet !== undefined) throw invalidParameter('valueSet cannot be given on an instance operation (the ValueSet is the one in the URL)', 'valueSet');
  const valueSet = await repo.readResource<ValueSet>('ValueSet', request.params.id);
  const url = requireUrl(valueSet.url, `ValueSet/${valueSet.id}`);
  assertSame(input, 'url', url);
  return { ...input, url, ...(valueSet.version && input.valueSetVersion === undefined ? { valueSetVersion: valueSet.version } : undefined) };
}

async function bindConceptMap(input: OperationInput, request: FhirRequest, repo: FhirRepository): Promise<OperationInput> {
  const conceptMap = await repo.readResource<ConceptMap>('ConceptMap', request.params.id);
  const url = requireUrl(conceptMap.url, `ConceptMap/${conceptMap.id}`);
  assertSame(input, 'url', url);
  return { ...input, url, ...(conceptMap.version && input.conceptMapVersion === undefined ? { conceptMapVersion: conceptMap.version } : undefined) };
}

function requireUrl(url: string | undefined, reference: string): string {
  if (!url) throw invalidParameter(`${reference} has no url, so the terminology service does not hold it`, 'url');
  return url;
}

function assertSame(input: OperationInput, name: string, expected: string): void {
  const given = input[name];
  if (given !== undefined && given !== expected) {
    throw invalidParameter(`${name} ${JSON.stringify(given)} does not match the resource in the URL (${expected})`, name);
  }
}
