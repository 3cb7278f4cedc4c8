import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as infra from '@simpul/infra';

const run = promisify(execFile);

describe('@simpul/infra public entry', () => {
  it('exports the config loader, logging and health helpers', () => {
    for (const name of ['loadConfig', 'parseConfig', 'ConfigError', 'redactConfig', 'createLogger', 'withTrace', 'newTraceId', 'HealthChecks']) {
      expect(infra, name).toHaveProperty(name);
    }
    expect(infra.configComponents.map((component) => component.key)).toEqual([
      'hub',
      'database',
      'bus',
      'storage',
      'mllp',
      'dicom',
      'log',
      'admin',
      'bots',
      'terminology',
      'ingest',
      'routing',
      'identity',
      'sql',
      'webhook',
    ]);
  });

  it('loads a config under plain Node type stripping, as `simpul` runs it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'simpul-entry-'));
    try {
      writeFileSync(path.join(dir, 'simpul.yaml'), 'hub:\n  port: ${PORT}\n');
      const script = [
        "const { loadConfig, ConfigError } = await import('@simpul/infra');",
        'const config = await loadConfig({ cwd: process.argv[1], env: { PORT: "9300" } });',
        'console.log(JSON.stringify(config.hub));',
        'try { await loadConfig({ cwd: process.argv[1], env: {} }); } catch (error) { console.log(error instanceof ConfigError, error.format()); }',
      ].join('\n');
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, dir], { cwd: path.resolve(import.meta.dirname, '../..') });
      const [hubLine, errorLine] = stdout.trim().split('\n');
      expect(JSON.parse(hubLine)).toMatchObject({ port: 9300, baseUrl: 'http://127.0.0.1:9300/' });
      expect(errorLine).toBe(
        'true simpul.yaml: hub.port: ${PORT} is not set in the environment and has no default (write ${PORT:-value} to give one)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
