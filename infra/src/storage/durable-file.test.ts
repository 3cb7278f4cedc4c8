import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitFileDurably, ensureDirectoryDurably, pathInside, syncFileAndDirectory, writeFileDurably } from './durable-file.ts';

describe('durable files', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'simpul-durable-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a file atomically and leaves no temporary file behind', async () => {
    const path = join(root, 'a.bin');
    await writeFileDurably(path, new Uint8Array([1, 2, 3]));
    await writeFileDurably(path, [Buffer.from('ab'), Buffer.from('cd')]);
    expect((await readFile(path)).toString()).toBe('abcd');
    expect(await readdir(root)).toEqual(['a.bin']);
  });

  it('creates nested directories once and refuses paths outside the root', async () => {
    const dir = await ensureDirectoryDurably(root, 'dicom/1.2.3/1.2.3.4');
    expect((await stat(dir)).isDirectory()).toBe(true);
    expect(await ensureDirectoryDurably(root, 'dicom/1.2.3/1.2.3.4')).toBe(dir);
    await Promise.all([1, 2, 3, 4].map(() => ensureDirectoryDurably(root, 'dicom/9/8')));
    expect((await stat(join(root, 'dicom/9/8'))).isDirectory()).toBe(true);
    await expect(ensureDirectoryDurably(root, '../escape')).rejects.toThrow(/outside/);
  });

  it('commits a written file under its final name', async () => {
    const tmp = join(root, '.incoming');
    await writeFile(tmp, 'dicom bytes');
    const final = join(await ensureDirectoryDurably(root, 'x'), 'y.dcm');
    await commitFileDurably(tmp, final);
    expect((await readFile(final)).toString()).toBe('dicom bytes');
    await expect(stat(tmp)).rejects.toThrow(/ENOENT/);
  });

  it('syncs a file and its directory, and refuses a file that is not there', async () => {
    const path = join(root, 'x.bin');
    await writeFile(path, 'x');
    await expect(syncFileAndDirectory(path)).resolves.toBeUndefined();
    await expect(syncFileAndDirectory(join(root, 'missing'))).rejects.toThrow(/ENOENT/);
  });

  it('says where a path is relative to a root, and nothing for paths outside it', () => {
    expect(pathInside('/srv/blobs', '/srv/blobs/dicom/1/2/3.dcm')).toBe('dicom/1/2/3.dcm');
    expect(pathInside('/srv/blobs', '/srv/blobs')).toBeUndefined();
    expect(pathInside('/srv/blobs', '/srv/other/x')).toBeUndefined();
    expect(pathInside('/srv/blobs', '/srv/blobs/..x/y')).toBe('..x/y');
  });
});
