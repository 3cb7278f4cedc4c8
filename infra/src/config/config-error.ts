/** One thing wrong with the configuration, worded for the operator who has to fix it. */
export interface ConfigProblem {
  /** The config file, or `env NAME` when the value came from an environment variable. */
  file: string;
  /** Dotted key path with array indices (`sources[2].port`); empty for the file as a whole. */
  path: string;
  expected: string;
  found: string;
  /** The full sentence, usually `expected <expected>, found <found>`. */
  message: string;
  /** Position in the file, when known (YAML syntax errors; the message names it too). */
  line?: number;
  column?: number;
}

/** The configuration cannot be used; `problems` lists everything found, not just the first. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(`invalid configuration:\n${formatProblems(problems)}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }

  /** One line per problem: `simpul.yaml: hub.port: expected a number between 1 and 65535, found "abc"`. */
  format(): string {
    return formatProblems(this.problems);
  }
}

function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((problem) => (problem.path ? `${problem.file}: ${problem.path}: ${problem.message}` : `${problem.file}: ${problem.message}`))
    .join('\n');
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `['sources', 2, 'port']` → `sources[2].port`; odd keys are quoted: `routing["a.b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && PLAIN_KEY.test(key)) text += text ? `.${key}` : key;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}
