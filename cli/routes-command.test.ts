import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = new URL('../', import.meta.url).pathname;

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/simpul.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const CONFIG = `
hub: { baseUrl: "http://127.0.0.1:9/" }
routing:
  destinations:
    pacs-a: { type: pacs, aeTitle: PACS_A, host: 127.0.0.1, port: 104 }
    ris: { type: ris, host: 127.0.0.1, port: 2576 }
  rules:
    - name: ct-from-ct01
      when: { resourceType: ImagingStudy, modality: CT, callingAeTitle: CT01 }
      sendTo: [pacs-a, ris]
      stableSeconds: 20
    - name: mr-only
      when: { resourceType: ImagingStudy, modality: MR }
      sendTo: [pacs-a]
`;

describe('simpul routes test', () => {
  test('shows the facts, each rule’s verdict and where a study from a file would go, sending nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simpul-routes-'));
    await writeFile(join(dir, 'simpul.yaml'), CONFIG);
    const study = {
      resourceType: 'ImagingStudy',
      id: 'st-1',
      status: 'available',
      subject: { display: 'no patient resource' },
      modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }],
      description: 'CT Abdomen',
      extension: [
        { url: 'https://simpul.dev/fhir/StructureDefinition/received-from', extension: [{ url: 'protocol', valueCode: 'dicom' }, { url: 'callingAeTitle', valueString: 'CT01' }] },
      ],
    };
    await writeFile(join(dir, 'study.json'), JSON.stringify(study));
    const result = await run(['routes', 'test', join(dir, 'study.json')], { SIMPUL_CONFIG: join(dir, 'simpul.yaml') });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ImagingStudy/st-1');
    expect(result.stdout).toMatch(/callingAeTitle\s+CT01/);
    expect(result.stdout).toContain('✓ ct-from-ct01 → pacs-a, ris');
    expect(result.stdout).toContain('✗ mr-only: modality: wants MR, the ImagingStudy has CT');
    expect(result.stdout).toContain('pacs-a (pacs), once stable for 20 s — rules: ct-from-ct01');
    expect(result.stdout).toContain('ris (ris) — skipped: a ris destination does not take ImagingStudy');
  }, 30_000);

  test('a file that is not a study or order, and a missing argument, are refused with the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simpul-routes-'));
    await writeFile(join(dir, 'simpul.yaml'), CONFIG);
    await writeFile(join(dir, 'patient.json'), JSON.stringify({ resourceType: 'Patient', id: 'p' }));
    const env = { SIMPUL_CONFIG: join(dir, 'simpul.yaml') };
    const wrongType = await run(['routes', 'test', join(dir, 'patient.json')], env);
    expect(wrongType.code).toBe(1);
    expect(wrongType.stderr).toContain('holds a Patient; routing takes ImagingStudy and ServiceRequest');
    const none = await run(['routes', 'test'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: simpul routes test');
  }, 30_000);
});
