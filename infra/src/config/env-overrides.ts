import type { ConfigComponent } from './component.ts';
import { formatPath } from './config-error.ts';
import { isPlainObject } from './plain-object.ts';

/**
 * Writes each component's environment variables over the file's values (an empty variable counts
 * as unset). Returns, for every overridden key path, where the value came from (`env NAME`), so
 * that a bad value is reported against the variable rather than the file.
 */
export function applyEnvOverrides(
  config: Record<string, unknown>,
  components: readonly ConfigComponent[],
  env: NodeJS.ProcessEnv,
): Map<string, string> {
  const sources = new Map<string, string>();
  for (const component of components) {
    for (const [settingPath, variable] of Object.entries(component.env)) {
      const value = env[variable];
      if (value === undefined || value === '') continue;
      const path = [component.key, ...settingPath.split('.')];
      if (setAt(config, path, value)) sources.set(formatPath(path), `env ${variable}`);
    }
  }
  return sources;
}

/** False when something on the way is not a mapping: validation will report that, not us. */
function setAt(target: Record<string, unknown>, path: readonly string[], value: string): boolean {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (node[key] === undefined || node[key] === null) node[key] = {};
    const next = node[key];
    if (!isPlainObject(next)) return false;
    node = next;
  }
  node[path[path.length - 1]] = value;
  return true;
}
