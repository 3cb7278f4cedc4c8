import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import type { TerminologyResource } from '../resource-types.ts';
import type { CsvLoadOptions } from './csv-metadata.ts';
import type { ProgressCallback } from './csv-records.ts';
import { parseTerminologyJson, parseTerminologyYaml } from './fhir-documents.ts';
import type { LoadProblem } from './load-problem.ts';
import { TerminologyLoadError } from './load-problem.ts';
import { parseTerminologyCsv } from './terminology-csv.ts';

export interface LoadTerminologyOptions {
  /**
   * Progress in bytes, `(done, total)`: throttled to about every 0.5 % (at least 64 KiB), and
   * always a final call with done === total. For a directory, the total is all files together.
   */
  onProgress?: ProgressCallback;
  /** For a single CSV file: url, source system, ... (they win over the file's preamble). */
  csv?: CsvLoadOptions;
}

export const TERMINOLOGY_FILE_EXTENSIONS = ['.json', '.yaml', '.yml', '.csv'] as const;

/** JSON and YAML are parsed whole; past this a file should be split (or be CSV, which streams). */
const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

/**
 * Loads the CodeSystems, ValueSets and ConceptMaps of one file, by extension: `.json` (a resource,
 * a Bundle or a list), `.yaml`/`.yml` (same shapes, several documents allowed), `.csv` (ConceptMap
 * or CodeSystem, see parseTerminologyCsv). Throws TerminologyLoadError with every problem found.
 */
export async function loadTerminologyFile(path: string, options: LoadTerminologyOptions = {}): Promise<TerminologyResource[]> {
  const size = await fileSize(path);
  return loadOneFile(path, size, options.onProgress ?? noProgress, options.csv);
}

/**
 * Loads every terminology file below `dir` (recursively, in path order; hidden files, READMEs and
 * other extensions are skipped). All files are read before anything is returned: problems from
 * all of them are reported together, and the same canonical URL and version in two files is one.
 */
export async function loadTerminologyDir(dir: string, options: LoadTerminologyOptions = {}): Promise<TerminologyResource[]> {
  const files = await listTerminologyFiles(dir);
  if (files.length === 0) {
    throw new TerminologyLoadError([{ source: dir, message: `no terminology files (${TERMINOLOGY_FILE_EXTENSIONS.join(', ')}) found` }]);
  }
  const sizes = await Promise.all(files.map((file) => fileSize(file)));
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const problems: LoadProblem[] = [];
  const resources: TerminologyResource[] = [];
  const definedIn = new Map<string, string>();
  let doneBefore = 0;
  for (const [index, file] of files.entries()) {
    const onFileProgress: ProgressCallback = (done) => options.onProgress?.(doneBefore + done, total);
    try {
      for (const resource of await loadOneFile(file, sizes[index], onFileProgress)) {
        const key = `${resource.resourceType} ${resource.url}|${resource.version ?? ''}`;
        const first = definedIn.get(key);
        if (first) {
          problems.push({ source: file, message: `${resource.resourceType} ${resource.url}${resource.version ? ` version ${resource.version}` : ''} is also defined in ${first}` });
        } else {
          definedIn.set(key, file);
          resources.push(resource);
        }
      }
    } catch (error) {
      if (error instanceof TerminologyLoadError) problems.push(...error.problems);
      else problems.push({ source: file, message: `cannot be read: ${error instanceof Error ? error.message : String(error)}` });
    }
    doneBefore += sizes[index];
  }
  if (problems.length > 0) throw new TerminologyLoadError(problems);
  options.onProgress?.(total, total);
  return resources;
}

/** A file or a directory, whichever `path` is. */
export async function loadTerminologyPath(path: string, options: LoadTerminologyOptions = {}): Promise<TerminologyResource[]> {
  const info = await statOrThrow(path);
  return info.isDirectory() ? loadTerminologyDir(path, options) : loadTerminologyFile(path, options);
}

async function loadOneFile(path: string, size: number, onProgress: ProgressCallback, csv?: CsvLoadOptions): Promise<TerminologyResource[]> {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') {
    return [await parseTerminologyCsv(createReadStream(path), { ...csv, source: path, onProgress, totalBytes: size })];
  }
  if (extension !== '.json' && extension !== '.yaml' && extension !== '.yml') {
    throw new TerminologyLoadError([{ source: path, message: `unsupported file type (expected ${TERMINOLOGY_FILE_EXTENSIONS.join(', ')})` }]);
  }
  if (size > MAX_DOCUMENT_BYTES) {
    throw new TerminologyLoadError([{ source: path, message: `is ${size} bytes; JSON and YAML files are limited to ${MAX_DOCUMENT_BYTES} (use CSV for long lists)` }]);
  }
  const text = await readText(path, size, onProgress);
  return extension === '.json' ? parseTerminologyJson(text, path) : parseTerminologyYaml(text, path);
}

async function readText(path: string, size: number, onProgress: ProgressCallback): Promise<string> {
  const chunks: Buffer[] = [];
  let done = 0;
  let lastReported = 0;
  const reportEvery = Math.max(64 * 1024, Math.floor(size / 200));
  for await (const chunk of createReadStream(path)) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    done += buffer.length;
    if (done - lastReported >= reportEvery) {
      lastReported = done;
      onProgress(done, Math.max(size, done));
    }
  }
  onProgress(done, Math.max(size, done));
  return Buffer.concat(chunks).toString('utf8');
}

async function listTerminologyFiles(dir: string): Promise<string[]> {
  await statOrThrow(dir);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !relative(dir, file).split(/[\\/]/).some((part) => part.startsWith('.')))
    .filter((file) => (TERMINOLOGY_FILE_EXTENSIONS as readonly string[]).includes(extname(file).toLowerCase()))
    .sort();
}

async function fileSize(path: string): Promise<number> {
  const info = await statOrThrow(path);
  if (!info.isFile()) throw new TerminologyLoadError([{ source: path, message: 'is not a file' }]);
  return info.size;
}

async function statOrThrow(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(error as Error).message}`;
    throw new TerminologyLoadError([{ source: path, message }], { cause: error });
  }
}

function noProgress(): void {}
