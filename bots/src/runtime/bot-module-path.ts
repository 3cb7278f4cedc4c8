import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Built-in bots live beside the runtime: `bots/src/<name>/index.ts`. */
const BUILT_IN_ROOT = new URL('../', import.meta.url);

/**
 * The file:// URL of a bot's module: the configured `module` path (relative to `cwd`), else the
 * built-in `bots/src/<name>/index.ts`. Throws, naming the setting to fix, when neither exists.
 */
export function botModuleUrl(name: string, configured: string | undefined, cwd: string): string {
  if (configured !== undefined) {
    const path = resolve(cwd, configured);
    if (!existsSync(path)) throw new Error(`bot "${name}": module ${path} does not exist (bots.list[].module is relative to ${cwd})`);
    return pathToFileURL(path).href;
  }
  const builtIn = fileURLToPath(new URL(`${encodeURIComponent(name)}/index.ts`, BUILT_IN_ROOT));
  if (!existsSync(builtIn)) {
    throw new Error(`bot "${name}" has no module: there is no built-in bots/src/${name}/index.ts, so set bots.list[].module to its path`);
  }
  return pathToFileURL(builtIn).href;
}
