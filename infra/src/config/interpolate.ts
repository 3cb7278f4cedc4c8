import type { ConfigProblem } from './config-error.ts';
import { formatPath } from './config-error.ts';
import { isPlainObject } from './plain-object.ts';

/**
 * `${VAR}` and `${VAR:-default}` in string values, filled from the environment. As in a shell,
 * the default is used when the variable is unset or empty; `$${` writes a literal `${`.
 * A variable that is unset with no default is a problem naming the variable and the key.
 */
export function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  file: string,
): { value: unknown; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') return interpolateText(node, env, (problem) => problems.push({ file, path: formatPath(path), ...problem }));
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (isPlainObject(node)) {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return node;
  };
  return { value: walk(value, []), problems };
}

type TextProblem = Omit<ConfigProblem, 'file' | 'path'>;

const REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/;

function interpolateText(text: string, env: NodeJS.ProcessEnv, report: (problem: TextProblem) => void): string {
  let result = '';
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf('$', index);
    if (dollar === -1) {
      result += text.slice(index);
      break;
    }
    result += text.slice(index, dollar);
    if (text.startsWith('$${', dollar)) {
      result += '${';
      index = dollar + 3;
      continue;
    }
    if (!text.startsWith('${', dollar)) {
      result += '$';
      index = dollar + 1;
      continue;
    }
    const match = REFERENCE.exec(text.slice(dollar));
    if (!match) {
      const close = text.indexOf('}', dollar);
      const written = close === -1 ? text.slice(dollar) : text.slice(dollar, close + 1);
      report({
        expected: '${NAME} or ${NAME:-default}',
        found: JSON.stringify(written),
        message: `malformed reference ${JSON.stringify(written)}: expected \${NAME} or \${NAME:-default} (write $\${ for a literal \${)`,
      });
      result += written;
      index = dollar + written.length;
      continue;
    }
    const [reference, name, fallback] = match;
    const fromEnv = Object.hasOwn(env, name) ? env[name] : undefined;
    if (fallback !== undefined && (fromEnv === undefined || fromEnv === '')) {
      result += fallback;
    } else if (fromEnv === undefined) {
      report({
        expected: `environment variable ${name} to be set`,
        found: 'it is not set',
        message: `\${${name}} is not set in the environment and has no default (write \${${name}:-value} to give one)`,
      });
      result += reference;
    } else {
      result += fromEnv;
    }
    index = dollar + reference.length;
  }
  return result;
}
