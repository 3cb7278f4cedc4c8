import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * Writing files so that they survive a crash or a power cut (the blob store's recipe, shared by the
 * hub's Binary store and the DICOM receiver). A write is durable when the promise resolves: the bytes
 * and the directory entry that names them are on disk. A crash before that leaves either nothing at
 * the final name or, for `commitFileDurably`, possibly an incomplete file there, which nobody has been
 * told about yet (the caller acknowledges only after the promise resolves).
 */

/** fsync of a directory: makes the entries created, renamed or removed in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `root/relativeDir` and any missing parents below `root`, making each new entry durable by
 * syncing its parent. Directories that already exist cost one `stat`.
 */
export async function ensureDirectoryDurably(root: string, relativeDir: string): Promise<string> {
  const base = resolve(root);
  const target = resolve(base, relativeDir);
  if (target !== base && !target.startsWith(base + sep)) {
    throw new RangeError(`${relativeDir} is outside ${base}`);
  }
  if (await isDirectory(target)) return target;
  const missing: string[] = [];
  let current = target;
  while (current !== base && !(await isDirectory(current))) {
    missing.unshift(current);
    current = dirname(current);
  }
  if (current === base) await mkdir(base, { recursive: true });
  for (const dir of missing) {
    try {
      await mkdir(dir);
    } catch (err) {
      // Another writer made it between our check and our mkdir: it is there either way.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    await syncDirectory(dirname(dir));
  }
  return target;
}

/**
 * Writes `bytes` to `path` atomically and durably: a temporary file beside it is written and fsynced,
 * renamed into place, and the directory fsynced. Readers see the old file or the whole new one.
 */
export async function writeFileDurably(path: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${randomUUID()}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    if (isChunkList(bytes)) {
      await handle.writev(bytes as Uint8Array[]);
    } else {
      await handle.writeFile(bytes);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncDirectory(dir);
}

/**
 * Moves a fully written (not yet synced) file to its final name and makes both durable with one
 * journal commit: rename, then fsync of the file, then fsync of its directory. Cheaper than
 * `writeFileDurably` (one commit instead of two) when the caller can tell a complete file from an
 * incomplete one left by a crash at the final name, because it validates what it finds there before
 * trusting it (the DICOM receiver re-checks a file it finds under a SOP Instance UID it receives again).
 */
export async function commitFileDurably(tmpPath: string, finalPath: string): Promise<void> {
  await rename(tmpPath, finalPath);
  await syncFileAndDirectory(finalPath);
}

/**
 * fsync of a file and then of its directory: afterwards its bytes and its name survive a crash. The
 * second half of `commitFileDurably`, for callers that rename first and overlap the sync with other work.
 */
export async function syncFileAndDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDirectory(dirname(path));
}

/** `path` relative to `root` with `/` separators, or undefined when it is not inside `root`. */
export function pathInside(root: string, path: string): string | undefined {
  const rel = relative(resolve(root), resolve(path));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function isChunkList(bytes: Uint8Array | readonly Uint8Array[]): bytes is readonly Uint8Array[] {
  return Array.isArray(bytes);
}
