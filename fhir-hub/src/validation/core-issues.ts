import type { ValidatorOptions } from '@medplum/core';
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { isJsonObject } from './json-value.ts';

/*
 * @medplum/core's validator reports everything as `structure` and names choice elements by their
 * schema key ("Observation.value[x].unit"). This adapts its issues to what the hub promises: errors
 * only, a finer issue code where the text says what kind of problem it is, and paths that name the
 * JSON property actually present ("Observation.valueQuantity.unit").
 */

/** Recognised core messages; anything else keeps core's own code. Tests pin these texts. */
const CODE_BY_MESSAGE: readonly [RegExp, OperationOutcomeIssue['code']][] = [
  [/^Missing required property$/, 'required'],
  [/^Invalid \w+ (format|value)$/, 'value'],
  [/^Invalid numeric value$/, 'value'],
  [/^Expected number to be/, 'value'],
  [/^String must contain non-whitespace content$/, 'value'],
  [/^String cannot be larger than/, 'value'],
  [/^Invalid base64Binary format$/, 'value'],
  [/^base64Binary exceeds/, 'value'],
];

export function adaptCoreIssues(issues: readonly OperationOutcomeIssue[], resource: unknown): OperationOutcomeIssue[] {
  const adapted: OperationOutcomeIssue[] = [];
  for (const issue of issues) {
    if (issue.severity !== 'error' && issue.severity !== 'fatal') {
      continue; // warnings do not make a write fail and the caller has no channel for them
    }
    const text = issue.details?.text ?? '';
    const code = CODE_BY_MESSAGE.find(([pattern]) => pattern.test(text))?.[1] ?? issue.code;
    const expression = issue.expression
      ?.filter((path) => typeof path === 'string' && path.length > 0)
      .map((path) => resolveChoicePath(path, resource));
    adapted.push({
      severity: 'error',
      code,
      details: { text },
      ...(expression?.length ? { expression } : undefined),
    });
  }
  return adapted;
}

const SEGMENT = /^([^[\]]+)((?:\[[^\]]*\])*)$/;

/**
 * Rewrites "value[x]" segments of a core path to the property present in the resource, following
 * the path through the JSON. Segments that cannot be followed are left as they are.
 */
export function resolveChoicePath(path: string, resource: unknown): string {
  if (!path.includes('[x]')) {
    return path;
  }
  const segments = path.split('.');
  let current: unknown = resource;
  for (let i = 1; i < segments.length; i++) {
    const match = SEGMENT.exec(segments[i]);
    if (!match || !isJsonObject(current)) {
      break;
    }
    let name = match[1];
    const indexes = [...match[2].matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]);
    if (indexes[0] === 'x') {
      const prefix = name;
      const concrete = Object.keys(current).find(
        (key) => key.length > prefix.length && key.startsWith(prefix) && /[A-Z]/.test(key[prefix.length])
      );
      if (!concrete) {
        break;
      }
      name = concrete;
      indexes.shift();
      segments[i] = concrete + indexes.map((index) => `[${index}]`).join('');
    }
    current = current[name];
    for (const index of indexes) {
      current = Array.isArray(current) ? current[Number(index)] : undefined;
    }
  }
  return segments.join('.');
}

/** Runs core's validateResource and returns its issues (it throws when any is an error). */
export function coreValidationIssues(resource: Resource, options?: ValidatorOptions): OperationOutcomeIssue[] {
  try {
    return validateResource(resource, options);
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return err.outcome.issue ?? [];
    }
    throw err;
  }
}
