import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Files on local disk under one root. A put is durable when it resolves: the bytes are written to a
 * temporary file, fsynced, renamed into place and the directory fsynced, so a crash leaves either
 * the whole file or none of it.
 */
export class BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, bytes: Uint8Array): Promise<{ path: string; size: number }> {
    const path = this.pathOf(key);
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${randomUUID()}.tmp`);
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await syncDirectory(dir);
    return { path, size: bytes.byteLength };
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  stream(key: string): Readable {
    return createReadStream(this.pathOf(key));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Keys are relative paths of safe segments; anything that could escape the root is refused. */
  pathOf(key: string): string {
    const segments = key.split('/');
    if (segments.some((s) => !/^[A-Za-z0-9._-]{1,128}$/.test(s) || s === '.' || s === '..')) {
      throw new Error(`Invalid blob key "${key}": use / separated segments of A-Z a-z 0-9 . _ -`);
    }
    const path = join(this.root, ...segments);
    if (!path.startsWith(this.root + sep)) {
      throw new Error(`Invalid blob key "${key}": outside the blob store`);
    }
    return path;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
