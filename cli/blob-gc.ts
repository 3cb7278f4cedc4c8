import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MedplumClient } from '@medplum/core';
import type { Bundle, BundleEntry, ImagingStudy } from '@medplum/fhirtypes';

/**
 * `simpul blobs gc`: finds files in the blob store that nothing in the hub refers to, and removes
 * them once they are older than `storage.retentionDays` (younger ones may be in the middle of being
 * ingested). Orphans are:
 * - `dicom/<study>/<series>/<sop>.dcm` that no ImagingStudy with that Study Instance UID lists;
 * - `binary/<id>/<version>` with no such Binary version in the hub;
 * - temporary files a crash left (`dicom/.incoming/**`, `binary/**\/.*.tmp`), after an hour at least.
 * Files the hub refers to are never removed, whatever their age.
 */

export interface BlobGcOptions {
  readonly storageDir: string;
  readonly retentionMs: number;
  readonly dryRun: boolean;
  readonly hub: BlobReferences;
  readonly now?: Date;
}

/** What the hub says exists; answered in batches (one request per 100 questions). */
export interface BlobReferences {
  /** For each Study Instance UID: the `<series>/<sop>` pairs its ImagingStudy lists (empty when there is none). */
  studyInstances(studyUids: readonly string[]): Promise<Map<string, Set<string>>>;
  /** For each `<id>/<version>`: whether that Binary version exists. */
  binaryVersions(keys: readonly string[]): Promise<Map<string, boolean>>;
}

export interface OrphanFile {
  /** Path inside the blob store. */
  readonly path: string;
  readonly bytes: number;
  readonly ageDays: number;
  readonly reason: string;
  /** Removed now (false in a dry run, or when younger than the retention). */
  readonly removed: boolean;
}

export interface BlobGcReport {
  readonly scanned: number;
  readonly orphans: OrphanFile[];
  readonly removedBytes: number;
}

const TEMPORARY_MIN_AGE_MS = 3600_000;
const DAY_MS = 86_400_000;
const UID = /^[0-9]+(\.[0-9]+)*$/;
const BATCH = 100;

export async function collectBlobGarbage(options: BlobGcOptions): Promise<BlobGcReport> {
  const root = resolve(options.storageDir);
  const now = (options.now ?? new Date()).getTime();
  const orphans: OrphanFile[] = [];
  let scanned = 0;
  const consider = async (path: string, reason: string, minAgeMs: number): Promise<void> => {
    const info = await stat(join(root, path));
    const age = now - info.mtimeMs;
    const removable = age >= minAgeMs && !options.dryRun;
    if (removable) await removeFile(root, path);
    orphans.push({ path, bytes: info.size, ageDays: Math.round((age / DAY_MS) * 10) / 10, reason, removed: removable });
  };

  const dicomFiles = await listDicomFiles(root);
  scanned += dicomFiles.instances.length + dicomFiles.temporary.length;
  for (const path of dicomFiles.temporary) await consider(path, 'temporary file of an interrupted C-STORE', Math.max(TEMPORARY_MIN_AGE_MS, options.retentionMs));
  const studies = [...new Set(dicomFiles.instances.map((file) => file.study))];
  const listed = new Map<string, Set<string>>();
  for (let i = 0; i < studies.length; i += BATCH) {
    for (const [uid, instances] of await options.hub.studyInstances(studies.slice(i, i + BATCH))) listed.set(uid, instances);
  }
  for (const file of dicomFiles.instances) {
    if (listed.get(file.study)?.has(`${file.series}/${file.sop}`)) continue;
    const reason = listed.get(file.study)?.size ? 'the ImagingStudy does not list this instance' : 'no ImagingStudy has this Study Instance UID';
    await consider(file.path, reason, options.retentionMs);
  }

  const binaryFiles = await listBinaryFiles(root);
  scanned += binaryFiles.versions.length + binaryFiles.temporary.length;
  for (const path of binaryFiles.temporary) await consider(path, 'temporary file of an interrupted Binary write', Math.max(TEMPORARY_MIN_AGE_MS, options.retentionMs));
  for (let i = 0; i < binaryFiles.versions.length; i += BATCH) {
    const slice = binaryFiles.versions.slice(i, i + BATCH);
    const exists = await options.hub.binaryVersions(slice.map((file) => file.key));
    for (const file of slice) {
      if (!exists.get(file.key)) await consider(file.path, 'no Binary has this id and version', options.retentionMs);
    }
  }
  return { scanned, orphans, removedBytes: orphans.filter((o) => o.removed).reduce((sum, o) => sum + o.bytes, 0) };
}

/** BlobReferences answered by the hub's FHIR API through batch Bundles. */
export function hubBlobReferences(client: MedplumClient): BlobReferences {
  return {
    async studyInstances(studyUids) {
      const entries = studyUids.map(
        (uid): BundleEntry => ({ request: { method: 'GET', url: `ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${uid}`)}` } }),
      );
      const response = await batch(client, entries);
      const result = new Map<string, Set<string>>();
      studyUids.forEach((uid, i) => {
        const found = new Set<string>();
        const searchset = response.entry?.[i]?.resource as Bundle<ImagingStudy> | undefined;
        for (const study of searchset?.entry ?? []) {
          for (const series of study.resource?.series ?? []) for (const instance of series.instance ?? []) found.add(`${series.uid}/${instance.uid}`);
        }
        result.set(uid, found);
      });
      return result;
    },
    async binaryVersions(keys) {
      const entries = keys.map((key): BundleEntry => {
        const [id, version] = key.split('/');
        return { request: { method: 'GET', url: `Binary/${id}/_history/${version}` } };
      });
      const response = await batch(client, entries);
      return new Map(keys.map((key, i) => [key, Boolean(response.entry?.[i]?.response?.status?.startsWith('200'))]));
    },
  };
}

async function batch(client: MedplumClient, entry: BundleEntry[]): Promise<Bundle> {
  const response = await client.executeBatch({ resourceType: 'Bundle', type: 'batch', entry });
  if ((response.entry?.length ?? 0) !== entry.length) throw new Error(`the hub answered ${response.entry?.length ?? 0} of ${entry.length} batch entries`);
  // A batch entry that failed for another reason than "not there" must not make a file look orphaned.
  for (const item of response.entry ?? []) {
    const status = Number(item.response?.status?.split(' ')[0]);
    if (!(status === 200 || status === 404 || status === 410)) {
      throw new Error(`the hub answered ${item.response?.status ?? 'nothing'} to a lookup; nothing was removed for that batch`);
    }
  }
  return response;
}

interface DicomListing {
  instances: { path: string; study: string; series: string; sop: string }[];
  temporary: string[];
}

async function listDicomFiles(root: string): Promise<DicomListing> {
  const listing: DicomListing = { instances: [], temporary: [] };
  for (const study of await entries(join(root, 'dicom'))) {
    if (study === '.incoming') {
      for (const processDir of await entries(join(root, 'dicom', study))) {
        for (const file of await entries(join(root, 'dicom', study, processDir))) listing.temporary.push(`dicom/${study}/${processDir}/${file}`);
      }
      continue;
    }
    if (!UID.test(study)) continue;
    for (const series of await entries(join(root, 'dicom', study))) {
      if (!UID.test(series)) continue;
      for (const file of await entries(join(root, 'dicom', study, series))) {
        const sop = file.endsWith('.dcm') ? file.slice(0, -4) : '';
        if (UID.test(sop)) listing.instances.push({ path: `dicom/${study}/${series}/${file}`, study, series, sop });
      }
    }
  }
  return listing;
}

async function listBinaryFiles(root: string): Promise<{ versions: { path: string; key: string }[]; temporary: string[] }> {
  const versions: { path: string; key: string }[] = [];
  const temporary: string[] = [];
  for (const id of await entries(join(root, 'binary'))) {
    for (const file of await entries(join(root, 'binary', id))) {
      if (file.startsWith('.') && file.endsWith('.tmp')) temporary.push(`binary/${id}/${file}`);
      else if (/^[A-Za-z0-9\-.]{1,64}$/.test(id) && /^[A-Za-z0-9\-.]{1,64}$/.test(file)) versions.push({ path: `binary/${id}/${file}`, key: `${id}/${file}` });
    }
  }
  return { versions, temporary };
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

/** Removes the file, then its parent directories up to the store's top folders while they are empty. */
async function removeFile(root: string, path: string): Promise<void> {
  await rm(join(root, path), { force: true });
  const parts = path.split('/');
  for (let depth = parts.length - 1; depth > 1; depth--) {
    try {
      await rmdir(join(root, ...parts.slice(0, depth)));
    } catch (error) {
      // Not empty (or a receiver just wrote into it): it stays.
      if (['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes((error as NodeJS.ErrnoException).code ?? '')) return;
      throw error;
    }
  }
}
