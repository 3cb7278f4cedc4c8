import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KnownDirectories } from './known-directories.ts';

describe('KnownDirectories', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'simpul-dirs-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates study and series directories, and syncs each many times at once, sharing the syncs', async () => {
    const directories = new KnownDirectories(root, 2);
    await directories.ensure('dicom/1.2/1.2.3');
    expect((await stat(join(root, 'dicom/1.2/1.2.3'))).isDirectory()).toBe(true);
    await writeFile(join(root, 'dicom/1.2/1.2.3/a.dcm'), 'a');
    const syncs = Array.from({ length: 50 }, (_, i) => directories.sync(i % 3 === 0 ? 'dicom/1.2' : 'dicom/1.2/1.2.3'));
    await expect(Promise.all(syncs)).resolves.toHaveLength(50);
    // A third directory goes past the limit of two open ones: the oldest is closed, and still works when asked again.
    await directories.ensure('dicom/9');
    await directories.sync('dicom/9');
    await directories.sync('dicom/1.2');
    await directories.close();
  });

  it('fails a sync of a directory that does not exist', async () => {
    const directories = new KnownDirectories(root);
    await expect(directories.sync('missing')).rejects.toThrow(/ENOENT/);
    await directories.close();
  });
});
