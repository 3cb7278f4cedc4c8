import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigProblem } from './config-error.ts';
import { ConfigError } from './config-error.ts';
import { parseConfig } from './parse-config.ts';
import type { SimpulConfig } from './schema.ts';

export interface LoadConfigOptions {
  /** The YAML file; default `SIMPUL_CONFIG`, then `./simpul.yaml` (which may be absent). */
  file?: string;
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** What a relative file path is relative to; default `process.cwd()`. */
  cwd?: string;
}

export const DEFAULT_CONFIG_FILE = './simpul.yaml';

/**
 * Reads `simpul.yaml` (or the file named), fills `${VAR}`, applies environment overrides and
 * validates. Every problem is reported at once in a `ConfigError`; nothing is half-loaded.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<SimpulConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const named = options.file || env.SIMPUL_CONFIG || undefined;
  const absolute = path.resolve(cwd, named ?? DEFAULT_CONFIG_FILE);
  const shown = displayName(absolute, cwd);

  const text = await readConfigText(absolute, shown, named !== undefined);
  if (text === undefined) return parseConfig({}, { source: shown, env });
  return parseConfig(parseYaml(text, shown), { source: shown, env });
}

function displayName(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

/** Undefined when the default file is simply absent; an explicitly named file must exist. */
async function readConfigText(absolute: string, shown: string, explicit: boolean): Promise<string | undefined> {
  try {
    return await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    const found = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (error as Error).message;
    const expected = 'a readable YAML file';
    throw new ConfigError([
      { file: shown, path: '', expected, found, message: `cannot read config file ${absolute}: expected ${expected}, found ${found}` },
    ]);
  }
}

function parseYaml(text: string, shown: string): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const seen = new Set<string>();
    const problems: ConfigProblem[] = [];
    for (const error of document.errors) {
      const { line, col: column } = lineCounter.linePos(error.pos[0]);
      const position = `${line}:${column}`;
      // The parser often reports one mistake several times at the same place.
      if (seen.has(position)) continue;
      seen.add(position);
      problems.push({
        file: shown,
        path: '',
        expected: 'valid YAML',
        found: error.message,
        message: `invalid YAML at line ${line}, column ${column}: ${error.message}`,
        line,
        column,
      });
    }
    throw new ConfigError(problems);
  }
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Unresolved or exploding aliases are only detected while building the values.
    const message = (error as Error).message;
    throw new ConfigError([{ file: shown, path: '', expected: 'valid YAML', found: message, message: `invalid YAML: ${message}` }]);
  }
}
