import { configComponents } from './schema.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { EMBEDDED_DATABASE_URL } from './database.ts';
import { loadConfig } from './load-config.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simpul-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(text: string, name = 'simpul.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function loadError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadConfig', () => {
  it('gives every default when there is no file and no environment', async () => {
    const config = await loadConfig({ cwd: dir, env: {} });
    expect(Object.keys(config)).toEqual(configComponents.map((component) => component.key));
    expect(config).toMatchObject({
      hub: {
        port: 8103,
        host: '127.0.0.1',
        baseUrl: 'http://127.0.0.1:8103/',
        maxBodyBytes: 16 * 1024 * 1024,
        maxQueryStringLength: 8192,
        maxBinaryBytes: 512 * 1024 * 1024,
      },
      database: { url: EMBEDDED_DATABASE_URL, maxConnections: 20, embedded: { dir: './data/pg' } },
      bus: { url: EMBEDDED_DATABASE_URL, prefetch: 32 },
      storage: { dir: './data/blobs', retentionDays: 7 },
      mllp: { port: 2575, host: '127.0.0.1' },
      dicom: {
        port: 11112,
        aeTitle: 'SIMPUL',
        host: '127.0.0.1',
        allowedCallingAeTitles: [],
        maxPduLength: 1024 * 1024,
        maxAssociations: 32,
        maxInstanceBytes: 4 * 1024 ** 3,
        idleTimeoutSeconds: 60,
        timeZone: 'Asia/Jakarta',
        mapping: { issuers: {} },
      },
      log: { level: 'info', pretty: false },
      admin: {},
    });
  });

  it('reads values from ./simpul.yaml and keeps defaults for the rest', async () => {
    writeConfig(
      [
        'hub:',
        '  port: 9100',
        '  host: 0.0.0.0',
        '  baseUrl: https://hub.example.org',
        '  maxBodyBytes: 32 MiB',
        'database:',
        '  url: postgres://simpul@db.internal:5432/simpul',
        'dicom:',
        '  aeTitle: RS_HUB',
        'log:',
        '  level: debug',
        '  pretty: true',
      ].join('\n'),
    );
    const config = await loadConfig({ cwd: dir, env: {} });
    expect(config.hub).toMatchObject({ port: 9100, host: '0.0.0.0', baseUrl: 'https://hub.example.org/', maxBodyBytes: 32 * 1024 * 1024 });
    expect(config.hub.maxQueryStringLength).toBe(8192);
    expect(config.database).toEqual({ url: 'postgres://simpul@db.internal:5432/simpul', maxConnections: 20 });
    expect(config.dicom).toMatchObject({ port: 11112, aeTitle: 'RS_HUB', host: '127.0.0.1', maxAssociations: 32 });
    expect(config.log).toEqual({ level: 'debug', pretty: true });
  });

  it('reads the file named by SIMPUL_CONFIG, relative to cwd', async () => {
    mkdirSync(path.join(dir, 'etc'));
    writeConfig('mllp:\n  port: 3000\n', 'etc/hospital-a.yaml');
    const config = await loadConfig({ cwd: dir, env: { SIMPUL_CONFIG: 'etc/hospital-a.yaml' } });
    expect(config.mllp.port).toBe(3000);
  });

  it('prefers options.file over SIMPUL_CONFIG', async () => {
    writeConfig('mllp:\n  port: 3001\n', 'a.yaml');
    writeConfig('mllp:\n  port: 3002\n', 'b.yaml');
    const config = await loadConfig({ cwd: dir, file: 'a.yaml', env: { SIMPUL_CONFIG: 'b.yaml' } });
    expect(config.mllp.port).toBe(3001);
  });

  it('lets environment variables win over the file', async () => {
    writeConfig(
      [
        'hub:',
        '  port: 9100',
        'database:',
        '  url: postgres://file-host/simpul',
        'mllp:',
        '  port: 3000',
        'log:',
        '  level: warn',
      ].join('\n'),
    );
    const config = await loadConfig({
      cwd: dir,
      env: {
        SIMPUL_HUB_PORT: '9200',
        DATABASE_URL: 'postgres://env-host/simpul',
        AMQP_URL: 'amqps://u:p@mq.internal/simpul',
        SIMPUL_STORAGE_DIR: '/var/lib/simpul/blobs',
        SIMPUL_MLLP_PORT: '3100',
        SIMPUL_DICOM_PORT: '11113',
        SIMPUL_LOG_LEVEL: 'trace',
        SIMPUL_ADMIN_CLIENT_ID: 'admin',
        SIMPUL_ADMIN_CLIENT_SECRET: 's3cret',
      },
    });
    expect(config.hub.port).toBe(9200);
    expect(config.hub.baseUrl).toBe('http://127.0.0.1:9200/');
    expect(config.database.url).toBe('postgres://env-host/simpul');
    expect(config.bus.url).toBe('amqps://u:p@mq.internal/simpul');
    expect(config.storage.dir).toBe('/var/lib/simpul/blobs');
    expect(config.mllp.port).toBe(3100);
    expect(config.dicom.port).toBe(11113);
    expect(config.log.level).toBe('trace');
    expect(config.admin).toEqual({ clientId: 'admin', clientSecret: 's3cret' });
  });

  it('ignores an empty environment variable', async () => {
    writeConfig('hub:\n  port: 9100\n');
    const config = await loadConfig({ cwd: dir, env: { SIMPUL_HUB_PORT: '' } });
    expect(config.hub.port).toBe(9100);
  });

  it('validates an environment value like a file value and names the variable', async () => {
    const error = await loadError(loadConfig({ cwd: dir, env: { SIMPUL_HUB_PORT: 'abc', SIMPUL_DICOM_PORT: '0' } }));
    expect(error.format()).toBe(
      [
        'env SIMPUL_HUB_PORT: hub.port: expected a number between 1 and 65535, found "abc"',
        'env SIMPUL_DICOM_PORT: dicom.port: expected a number between 1 and 65535, found 0',
      ].join('\n'),
    );
  });

  it('fills ${VAR} from the environment in file values', async () => {
    writeConfig('database:\n  url: postgres://simpul:${DB_PASSWORD}@db/simpul\nhub:\n  port: ${HUB_PORT:-8200}\n');
    const config = await loadConfig({ cwd: dir, env: { DB_PASSWORD: 'pw' } });
    expect(config.database.url).toBe('postgres://simpul:pw@db/simpul');
    expect(config.hub.port).toBe(8200);
  });

  it('reports a bad value with the file, the key path, what was expected and what was found', async () => {
    writeConfig('hub:\n  port: abc\n');
    const error = await loadError(loadConfig({ cwd: dir, env: {} }));
    expect(error.problems).toEqual([
      {
        file: 'simpul.yaml',
        path: 'hub.port',
        expected: 'a number between 1 and 65535',
        found: '"abc"',
        message: 'expected a number between 1 and 65535, found "abc"',
      },
    ]);
    expect(error.format()).toBe('simpul.yaml: hub.port: expected a number between 1 and 65535, found "abc"');
    expect(error.message).toContain('simpul.yaml: hub.port: expected a number between 1 and 65535, found "abc"');
  });

  it('reports a YAML syntax error with its line and column', async () => {
    writeConfig('hub:\n  port: 8103\n  port: 8104\n');
    const error = await loadError(loadConfig({ cwd: dir, env: {} }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ file: 'simpul.yaml', path: '', line: 3, column: 3 });
    expect(error.format()).toMatch(/^simpul\.yaml: invalid YAML at line 3, column 3: Map keys must be unique$/);
  });

  it('reports tabs used as indentation at their line', async () => {
    writeConfig('log:\n  level: info\nhub:\n\tport: 1\n');
    const error = await loadError(loadConfig({ cwd: dir, env: {} }));
    expect(error.problems[0]).toMatchObject({ line: 4, column: 1 });
    expect(error.format()).toContain('line 4');
  });

  it('reports an alias to an anchor that does not exist', async () => {
    writeConfig('hub: *missing\n');
    const error = await loadError(loadConfig({ cwd: dir, env: {} }));
    expect(error.format()).toMatch(/^simpul\.yaml: invalid YAML: .*missing/);
  });

  it('refuses a file that is a list rather than a mapping', async () => {
    writeConfig('- hub\n- database\n');
    const error = await loadError(loadConfig({ cwd: dir, env: {} }));
    expect(error.format()).toBe(
      'simpul.yaml: expected a mapping of sections (hub:, database:, ...) at the top level, found a list of 2 items',
    );
  });

  it('treats an empty file, a comments-only file and an emptied section as defaults', async () => {
    for (const text of ['', '# nothing yet\n', 'hub:\n  # port: 9000\n']) {
      writeConfig(text);
      const config = await loadConfig({ cwd: dir, env: {} });
      expect(config.hub.port).toBe(8103);
    }
  });

  it('refuses a __proto__ key instead of letting it through', async () => {
    writeConfig('__proto__:\n  polluted: 1\n');
    const error = await loadError(loadConfig({ cwd: dir, env: {} }));
    expect(error.problems[0]).toMatchObject({ path: '__proto__' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('fails when an explicitly named file is missing', async () => {
    const error = await loadError(loadConfig({ cwd: dir, file: 'nope.yaml', env: {} }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ file: 'nope.yaml', found: 'no such file' });
    expect(error.format()).toContain(path.join(dir, 'nope.yaml'));
  });

  it('fails when SIMPUL_CONFIG names a missing file', async () => {
    const error = await loadError(loadConfig({ cwd: dir, env: { SIMPUL_CONFIG: '/nonexistent/simpul.yaml' } }));
    expect(error.problems[0]).toMatchObject({ file: '/nonexistent/simpul.yaml', found: 'no such file' });
  });

  it('fails when the config path is a directory', async () => {
    mkdirSync(path.join(dir, 'simpul.yaml'));
    const error = await loadError(loadConfig({ cwd: dir, env: {} }));
    expect(error.problems[0].found).toBe('a directory');
  });
});
