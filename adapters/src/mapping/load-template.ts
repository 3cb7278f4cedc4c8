import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { compileTemplate, type CompiledTemplate } from './compile-template.ts';
import { MappingTemplateError } from './mapping-template-error.ts';

/**
 * A source's `mapping` setting, compiled: an inline template (a YAML mapping in simpul.yaml), or the
 * path of a `.yaml`/`.yml`/`.json` file (relative paths from the working directory). `configKey`
 * (`sql.sources.his.mapping`) names the setting in errors.
 */
export function loadTemplate(setting: string | Record<string, unknown>, configKey: string): CompiledTemplate {
  if (typeof setting !== 'string') return compileTemplate(setting, configKey);
  const path = resolve(setting);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MappingTemplateError({ reason: 'invalid-template', template: path, path: '', message: `${configKey}: the template file cannot be read (${(err as Error).message})`, cause: err });
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new MappingTemplateError({ reason: 'invalid-template', template: path, path: '', message: `not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`, cause: err });
  }
  return compileTemplate(parsed, path);
}

/** Every SQL and webhook source's template, compiled (what the ingest worker maps with). Throws on the first bad one, naming its config key. */
export function loadTemplateSources(config: {
  sql: { sources: ReadonlyArray<{ name: string; mapping: string | Record<string, unknown> }> };
  webhook: { sources: ReadonlyArray<{ name: string; mapping: string | Record<string, unknown> }> };
}): { sql: Record<string, CompiledTemplate>; webhook: Record<string, CompiledTemplate> } {
  const compile = (kind: 'sql' | 'webhook') =>
    Object.fromEntries(config[kind].sources.map((source, index) => [source.name, loadTemplate(source.mapping, `${kind}.sources[${index}].mapping`)]));
  return { sql: compile('sql'), webhook: compile('webhook') };
}
