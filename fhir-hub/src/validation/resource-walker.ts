import type { InternalSchemaElement, InternalTypeSchema } from '@medplum/core';
import { getDataType, isPrimitiveType, tryGetDataType } from '@medplum/core';
import { findBindingViolation, isBindableType } from './binding-check.ts';
import type { IssueCollector } from './issue-collector.ts';
import { errorIssue } from './issue-collector.ts';
import { isJsonObject, jsonKind } from './json-value.ts';
import type { ValueSetExpander } from './value-set-expansion.ts';

/*
 * Walks a resource against its type schemas (the InternalTypeSchema that @medplum/core builds from
 * the R4 StructureDefinitions) and reports what core's validateResource does not:
 *  - values outside the value set of a required binding, on every element that has one: backbone
 *    elements, datatypes (HumanName.use, Identifier.use, Quantity.comparator, ...) reached through
 *    their own schemas, choice types, contained resources and Bundle entries;
 *  - a primitive where a complex type (an object) belongs: core iterates the string's characters and
 *    reports "additional property 0, 1, ...", or for a number or boolean nothing at all;
 *  - property names core's `key in elements` lookup lets through: "constructor", "toString",
 *    "__proto__" (own key after JSON.parse) and literal "value[x]".
 * Cardinality, primitive formats and invariants stay with core. Recursion depth is bounded by the
 * caller's JSON depth guard.
 */

type ElementMap = Record<string, InternalSchemaElement>;

interface ResolvedElement {
  element: InternalSchemaElement;
  /** The element's key in its schema: "gender", or "value[x]" for a choice. */
  key: string;
  /** The concrete type: the element's only type, or the one a choice property name selects. */
  typeCode: string | undefined;
}

const RESOURCE_TYPE_CODES = new Set(['Resource', 'DomainResource']);

export interface ResourceWalkerDependencies {
  expander: ValueSetExpander;
  isKnownResourceType: (resourceType: string) => boolean;
  issues: IssueCollector;
}

export class ResourceWalker {
  readonly #deps: ResourceWalkerDependencies;

  constructor(deps: ResourceWalkerDependencies) {
    this.#deps = deps;
  }

  /** Walks `resource` (whose resourceType the caller has checked) against `schema`, a base type or a profile. */
  walk(resource: Record<string, unknown>, schema: InternalTypeSchema, path: string): void {
    this.#walkObject(resource, schema, path, undefined, schema);
  }

  #walkObject(
    object: Record<string, unknown>,
    schema: InternalTypeSchema,
    path: string,
    overlay: ElementMap | undefined,
    resourceSchema: InternalTypeSchema
  ): void {
    const isResource = schema === resourceSchema;
    for (const key of Object.keys(object)) {
      const value = object[key];
      if (value === undefined || (key === 'resourceType' && isResource)) {
        continue;
      }
      const isPrimitiveExtension = key.startsWith('_');
      const resolved = resolveElement(schema, overlay, isPrimitiveExtension ? key.slice(1) : key);
      if (!resolved) {
        this.#deps.issues.add(errorIssue('structure', `Unknown property "${key}"`, `${path}.${key}`));
        this.#deps.issues.replaceCoreIssuesUnder(`${path}.${key}`);
        continue;
      }
      if (isPrimitiveExtension) {
        continue; // its extensions are plain Element content, which core validates
      }
      const propertyPath = `${path}.${key}`;
      const childOverlay = nestedElements(overlay, schema.elements, resolved.key);
      if (Array.isArray(value)) {
        if (!resolved.element.isArray) {
          continue; // core reports "Expected single value"
        }
        for (let i = 0; i < value.length; i++) {
          if (value[i] !== null && value[i] !== undefined) {
            this.#walkValue(value[i], `${propertyPath}[${i}]`, resolved, childOverlay, resourceSchema);
          }
        }
      } else if (!resolved.element.isArray && value !== null) {
        this.#walkValue(value, propertyPath, resolved, childOverlay, resourceSchema);
      }
    }
  }

  #walkValue(
    value: unknown,
    path: string,
    { element, typeCode }: ResolvedElement,
    overlay: ElementMap | undefined,
    resourceSchema: InternalTypeSchema
  ): void {
    if (!typeCode) {
      return;
    }
    if (isPrimitiveType(typeCode)) {
      this.#checkBinding(element, typeCode, value, path);
      return;
    }
    if (!isJsonObject(value)) {
      const expected = RESOURCE_TYPE_CODES.has(typeCode) ? 'a resource' : typeCode;
      this.#deps.issues.add(
        errorIssue('structure', `Expected ${expected} (a JSON object), but found ${jsonKind(value)}`, path)
      );
      this.#deps.issues.replaceCoreIssuesUnder(path);
      return;
    }
    if (RESOURCE_TYPE_CODES.has(typeCode)) {
      this.#walkNestedResource(value, path);
      return;
    }
    this.#checkBinding(element, typeCode, value, path);
    const schema = findInnerType(resourceSchema, typeCode) ?? tryGetDataType(typeCode);
    if (schema) {
      this.#walkObject(value, schema, path, overlay, resourceSchema);
    }
  }

  /** Contained resources, Bundle.entry.resource, Parameters.parameter.resource: validated as their own type. */
  #walkNestedResource(value: Record<string, unknown>, path: string): void {
    const resourceType = value.resourceType;
    if (typeof resourceType !== 'string') {
      this.#deps.issues.add(errorIssue('structure', 'Resource has no resourceType', `${path}.resourceType`));
      return;
    }
    if (!this.#deps.isKnownResourceType(resourceType)) {
      this.#deps.issues.add(
        errorIssue('structure', `Unknown resource type "${resourceType}"`, `${path}.resourceType`)
      );
      this.#deps.issues.replaceCoreIssuesUnder(path);
      return;
    }
    const schema = getDataType(resourceType);
    this.#walkObject(value, schema, path, undefined, schema);
  }

  #checkBinding(element: InternalSchemaElement, typeCode: string, value: unknown, path: string): void {
    const binding = element.binding;
    if (binding?.strength !== 'required' || !binding.valueSet || !isBindableType(typeCode)) {
      return;
    }
    const violation = findBindingViolation(this.#deps.expander.expand(binding.valueSet), typeCode, value);
    if (violation) {
      this.#deps.issues.add(errorIssue('code-invalid', violation, path));
    }
  }
}

/** Finds the element a JSON property name denotes, including choice types ("valueQuantity" -> "value[x]"). */
function resolveElement(
  schema: InternalTypeSchema,
  overlay: ElementMap | undefined,
  name: string
): ResolvedElement | undefined {
  if (name.endsWith('[x]')) {
    return undefined; // a schema key, never a JSON property name
  }
  const direct = ownElement(overlay, name) ?? ownElement(schema.elements, name);
  if (direct) {
    return { element: direct, key: name, typeCode: direct.type.length === 1 ? direct.type[0].code : undefined };
  }
  for (let i = 1; i < name.length; i++) {
    const char = name.charCodeAt(i);
    if (char < 65 || char > 90) {
      continue; // choice suffixes start with an upper-case ASCII letter
    }
    const key = name.slice(0, i) + '[x]';
    const choice = ownElement(overlay, key) ?? ownElement(schema.elements, key);
    if (choice) {
      const suffix = name.slice(i);
      const type = choice.type.find((candidate) => capitalize(candidate.code) === suffix);
      return type ? { element: choice, key, typeCode: type.code } : undefined;
    }
  }
  return undefined;
}

function ownElement(elements: ElementMap | undefined, key: string): InternalSchemaElement | undefined {
  return elements && Object.hasOwn(elements, key) ? elements[key] : undefined;
}

function capitalize(code: string): string {
  return code.charAt(0).toUpperCase() + code.slice(1);
}

const innerTypeIndexes = new WeakMap<InternalTypeSchema, Map<string, InternalTypeSchema>>();

/** A profile's own (constrained) backbone types come before the base ones of the same name. */
function findInnerType(resourceSchema: InternalTypeSchema, name: string): InternalTypeSchema | undefined {
  let index = innerTypeIndexes.get(resourceSchema);
  if (!index) {
    index = new Map(resourceSchema.innerTypes.map((inner) => [inner.name, inner]));
    innerTypeIndexes.set(resourceSchema, index);
  }
  return index.get(name);
}

const nestedElementIndexes = new WeakMap<ElementMap, Map<string, ElementMap>>();

/**
 * Profiles constrain elements inside datatypes with dotted keys ("identifier.type" on the profile's
 * root schema). Returns those under `key`, re-keyed relative to it, to be consulted before the
 * datatype's own schema. Base schemas have none; the index is built once per element map.
 */
function nestedElements(overlay: ElementMap | undefined, elements: ElementMap, key: string): ElementMap | undefined {
  const fromOverlay = overlay ? dottedIndex(overlay).get(key) : undefined;
  const fromSchema = dottedIndex(elements).get(key);
  return fromOverlay && fromSchema ? { ...fromSchema, ...fromOverlay } : (fromOverlay ?? fromSchema);
}

function dottedIndex(elements: ElementMap): Map<string, ElementMap> {
  let index = nestedElementIndexes.get(elements);
  if (!index) {
    index = new Map();
    for (const [path, element] of Object.entries(elements)) {
      const dot = path.indexOf('.');
      if (dot > 0) {
        const head = path.slice(0, dot);
        let nested = index.get(head);
        if (!nested) {
          nested = Object.create(null) as ElementMap;
          index.set(head, nested);
        }
        nested[path.slice(dot + 1)] = element;
      }
    }
    nestedElementIndexes.set(elements, index);
  }
  return index;
}
