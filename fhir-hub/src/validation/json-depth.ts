import { isJsonObject } from './json-value.ts';

/**
 * Deepest nesting of objects and arrays accepted. Real resources stay far below it (a Bundle of
 * Questionnaires nested 40 items deep is about 90); it exists because @medplum/core validates
 * recursively and a few thousand levels exhaust the stack.
 */
export const MAX_JSON_DEPTH = 128;

/** True when objects/arrays nest deeper than `maxDepth` (the root object is depth 1). Iterative. */
export function exceedsJsonDepth(value: unknown, maxDepth: number): boolean {
  const pending: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }];
  while (pending.length > 0) {
    const { node, depth } = pending.pop() as { node: unknown; depth: number };
    const children = Array.isArray(node) ? node : isJsonObject(node) ? Object.values(node) : undefined;
    if (!children) {
      continue;
    }
    if (depth > maxDepth) {
      return true;
    }
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        pending.push({ node: child, depth: depth + 1 });
      }
    }
  }
  return false;
}
