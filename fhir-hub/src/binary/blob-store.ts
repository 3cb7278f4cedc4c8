import { createReadStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ensureDirectoryDurably, writeFileDurably } from '@simpul/infra';
import type { Readable } from 'node:stream';

/**
 * Files on local disk under one root. A put is durable when it resolves (infra's writeFileDurably:
 * temporary file, fsync, rename, directory fsync; new directories are synced into their parents),
 * so a crash leaves either the whole file or none of it.
 */
export class BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, bytes: Uint8Array): Promise<{ path: string; size: number }> {
    const path = this.pathOf(key);
    await ensureDirectoryDurably(this.root, relative(this.root, dirname(path)));
    await writeFileDurably(path, bytes);
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
