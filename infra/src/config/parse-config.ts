import { applyEnvOverrides } from './env-overrides.ts';
import { coerceToSchema } from './coerce.ts';
import type { ConfigProblem } from './config-error.ts';
import { ConfigError } from './config-error.ts';
import { describeIssue, describeValue } from './describe-issue.ts';
import { interpolate } from './interpolate.ts';
import { isPlainObject } from './plain-object.ts';
import type { SimpulConfig } from './schema.ts';
import { configComponents, simpulConfigSchema } from './schema.ts';

export interface ParseConfigOptions {
  /** Named in problems as the origin of the values; default `<inline>`. */
  source?: string;
  /** For `${VAR}` and the overriding variables; default none (tests stay hermetic). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The configuration from already-parsed YAML (or an object a test writes): `${VAR}` filled in,
 * environment overrides applied, text coerced where numbers are expected, then validated.
 * Throws a `ConfigError` listing every problem.
 */
export function parseConfig(input: unknown, options: ParseConfigOptions = {}): SimpulConfig {
  const source = options.source ?? '<inline>';
  const env = options.env ?? {};
  if (input !== null && input !== undefined && !isPlainObject(input)) {
    const found = describeValue(input);
    const expected = 'a mapping of sections (hub:, database:, ...) at the top level';
    throw new ConfigError([{ file: source, path: '', expected, found, message: `expected ${expected}, found ${found}` }]);
  }

  const interpolated = interpolate(input ?? {}, env, source);
  const raw = interpolated.value as Record<string, unknown>;
  for (const component of configComponents) {
    // A section whose settings are all commented out is read as null: that means "all defaults".
    if (raw[component.key] === null) delete raw[component.key];
  }
  const sources = applyEnvOverrides(raw, configComponents, env);

  const result = simpulConfigSchema.safeParse(coerceToSchema(raw, simpulConfigSchema), { reportInput: true });
  const problems: ConfigProblem[] = [...interpolated.problems];
  if (!result.success) {
    // A value with a missing ${VAR} would also fail validation; its first problem says why.
    const reported = new Set(interpolated.problems.map((problem) => problem.path));
    const context = { root: simpulConfigSchema, sourceOf: (path: string) => sources.get(path) ?? source };
    // Several failed checks on one value (too short and bad characters) read as one problem.
    const seen = new Set<string>();
    for (const issue of result.error.issues) {
      for (const problem of describeIssue(issue, context)) {
        const key = `${problem.path}\n${problem.message}`;
        if (reported.has(problem.path) || seen.has(key)) continue;
        seen.add(key);
        problems.push(problem);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (!result.success) throw new Error('unreachable: validation failed without problems');
  return result.data;
}
