import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';

export const storageConfigSchema = z
  .strictObject({
    /** Blob store directory (DICOM files, previews); a relative path is relative to the working directory. */
    dir: expecting(z.string().trim().min(1), 'a directory path').default('./data/blobs'),
    /**
     * `simpul blobs gc` removes an orphaned file (a DICOM file no ImagingStudy lists, Binary bytes with no
     * Binary version) only once it is older than this, so files still being ingested are never touched.
     */
    retentionDays: expecting(z.number().min(0).max(3650), 'a number of days from 0 to 3650, such as 7 or 0.5').default(7),
  })
  .prefault({});

export type StorageConfig = z.output<typeof storageConfigSchema>;

export const storageComponent = defineComponent('storage', storageConfigSchema, { dir: 'SIMPUL_STORAGE_DIR' });
