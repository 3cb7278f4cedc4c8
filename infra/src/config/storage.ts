import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';

export const storageConfigSchema = z
  .strictObject({
    /** Blob store directory (DICOM files, previews); a relative path is relative to the working directory. */
    dir: expecting(z.string().trim().min(1), 'a directory path').default('./data/blobs'),
  })
  .prefault({});

export type StorageConfig = z.output<typeof storageConfigSchema>;

export const storageComponent = defineComponent('storage', storageConfigSchema, { dir: 'SIMPUL_STORAGE_DIR' });
