import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadTerminologyDir, loadTerminologyFile, loadTerminologyPath } from './load-files.ts';
import { TerminologyLoadError } from './load-problem.ts';

const HEADER = 'source_code,source_display,target_system,target_code,target_display,equivalence';
const codeSystemJson = JSON.stringify({ resourceType: 'CodeSystem', url: 'http://example.org/cs', status: 'active', content: 'complete', concept: [{ code: 'a' }] });
const valueSetYaml = 'resourceType: ValueSet\nurl: http://example.org/vs\nstatus: active\ncompose:\n  include:\n    - system: http://example.org/cs\n';
const mapCsv = `# source: http://example.org/cs\n${HEADER}\na,,http://example.org/other,x,,\n`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'simpul-terminology-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(promise: Promise<unknown>): Promise<TerminologyLoadError> {
  const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(TerminologyLoadError);
  return error as TerminologyLoadError;
}

describe('loadTerminologyDir', () => {
  it('loads JSON, YAML and CSV below a directory, skipping hidden files and other extensions', async () => {
    await mkdir(join(dir, 'maps'));
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, 'cs.json'), codeSystemJson);
    await writeFile(join(dir, 'vs.yml'), valueSetYaml);
    await writeFile(join(dir, 'maps', 'local-to-other.csv'), mapCsv);
    await writeFile(join(dir, 'README.md'), '# not terminology');
    await writeFile(join(dir, '.git', 'config.json'), '{ broken');
    await writeFile(join(dir, '.draft.csv'), 'broken');
    const progress: Array<[number, number]> = [];
    const resources = await loadTerminologyDir(dir, { onProgress: (done, total) => progress.push([done, total]) });
    expect(resources.map((resource) => `${resource.resourceType} ${resource.url}`)).toEqual([
      'CodeSystem http://example.org/cs',
      'ConceptMap https://simpul.dev/fhir/ConceptMap/local-to-other',
      'ValueSet http://example.org/vs',
    ]);
    const total = Buffer.byteLength(codeSystemJson) + Buffer.byteLength(valueSetYaml) + Buffer.byteLength(mapCsv);
    expect(progress.at(-1)).toEqual([total, total]);
    expect(progress.every(([done, all], i) => all === total && (i === 0 || done >= progress[i - 1][0]))).toBe(true);
  });

  it('reports the problems of every file together, and a canonical URL defined twice', async () => {
    await writeFile(join(dir, 'a.json'), codeSystemJson);
    await writeFile(join(dir, 'b.json'), codeSystemJson);
    await writeFile(join(dir, 'c.csv'), `# source: http://s\n${HEADER}\nx,,http://t,,,bogus\n`);
    await writeFile(join(dir, 'd.yaml'), 'resourceType: [oops\n');
    const error = await loadError(loadTerminologyDir(dir));
    expect(error.format().split('\n')).toEqual([
      `${join(dir, 'b.json')}: CodeSystem http://example.org/cs is also defined in ${join(dir, 'a.json')}`,
      expect.stringMatching(new RegExp(`^${join(dir, 'c.csv')}:3: unknown equivalence "bogus"`)),
      expect.stringMatching(new RegExp(`^${join(dir, 'd.yaml')}:\\d+: not valid YAML`)),
    ]);
  });

  it('says so when there is nothing to load or the directory does not exist', async () => {
    expect((await loadError(loadTerminologyDir(dir))).problems[0].message).toContain('no terminology files');
    expect((await loadError(loadTerminologyDir(join(dir, 'missing')))).problems[0].message).toBe('does not exist');
  });
});

describe('loadTerminologyFile / loadTerminologyPath', () => {
  it('loads one file, with CSV options winning over the preamble', async () => {
    const file = join(dir, 'map.csv');
    await writeFile(file, mapCsv);
    const [map] = await loadTerminologyFile(file, { csv: { url: 'http://hospital.example/map', version: '3' } });
    expect(map).toMatchObject({ resourceType: 'ConceptMap', url: 'http://hospital.example/map', version: '3' });
    expect((await loadTerminologyPath(file))[0].url).toBe('https://simpul.dev/fhir/ConceptMap/map');
    await writeFile(join(dir, 'cs.json'), codeSystemJson);
    expect(await loadTerminologyPath(dir)).toHaveLength(2);
  });

  it('refuses files it cannot read', async () => {
    await writeFile(join(dir, 'notes.txt'), 'hello');
    expect((await loadError(loadTerminologyFile(join(dir, 'notes.txt')))).problems[0].message).toContain('unsupported file type');
    expect((await loadError(loadTerminologyFile(join(dir, 'absent.json')))).problems[0].message).toBe('does not exist');
    expect((await loadError(loadTerminologyFile(dir))).problems[0].message).toBe('is not a file');
  });
});
