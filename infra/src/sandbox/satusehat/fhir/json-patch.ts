import { badRequest } from '../sandbox-error.ts';
import { isPlainObject, type FhirJson } from './fhir-json.ts';

/**
 * Applies a JSON Patch (RFC 6902) of `replace` operations only, which is all SATUSEHAT supports
 * (section 3). Any other op, a missing target or an attempt to change `id`/`resourceType` is a 400
 * and nothing changes.
 */
export function applyReplacePatch(resource: FhirJson, patch: unknown): FhirJson {
  if (!Array.isArray(patch) || patch.length === 0) {
    throw badRequest('structure', 'A PATCH body must be a non-empty JSON array of operations: [{"op":"replace","path":"/...","value":...}]');
  }
  const patched = structuredClone(resource) as Record<string, unknown>;
  patch.forEach((operation, index) => {
    const where = `[${index}]`;
    if (!isPlainObject(operation)) throw badRequest('structure', `Operation ${where} is not an object`, where);
    if (operation.op !== 'replace') {
      throw badRequest('not-supported', `Operation ${where}: op "${String(operation.op)}" is not supported; only "replace" is`, `${where}.op`);
    }
    if (typeof operation.path !== 'string') throw badRequest('structure', `Operation ${where} has no "path"`, `${where}.path`);
    if (!('value' in operation)) throw badRequest('structure', `Operation ${where} has no "value"`, `${where}.value`);
    replaceAt(patched, operation.path, operation.value, where);
  });
  return patched as FhirJson;
}

function replaceAt(document: Record<string, unknown>, pointer: string, value: unknown, where: string): void {
  if (!pointer.startsWith('/')) throw badRequest('format', `Operation ${where}: "${pointer}" is not a JSON Pointer`, `${where}.path`);
  const tokens = pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (tokens.length === 1 && (tokens[0] === 'id' || tokens[0] === 'resourceType')) {
    throw badRequest('value', `Operation ${where}: ${tokens[0]} cannot be changed`, `${where}.path`);
  }
  let parent: unknown = document;
  for (const token of tokens.slice(0, -1)) parent = child(parent, token, pointer, where);
  const last = tokens[tokens.length - 1];
  child(parent, last, pointer, where); // replace needs an existing target
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else (parent as Record<string, unknown>)[last] = value;
}

function child(container: unknown, token: string, pointer: string, where: string): unknown {
  if (Array.isArray(container)) {
    if (/^(0|[1-9]\d*)$/.test(token) && Number(token) < container.length) return container[Number(token)];
  } else if (isPlainObject(container) && Object.hasOwn(container, token)) {
    return container[token];
  }
  throw badRequest('value', `Operation ${where}: path ${pointer} does not exist in the resource`, `${where}.path`);
}
