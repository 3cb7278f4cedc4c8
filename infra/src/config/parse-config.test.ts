import { configComponents } from './schema.ts';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { EMBEDDED_DATABASE_URL } from './database.ts';
import { parseConfig } from './parse-config.ts';

function problemsOf(input: unknown, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(input, { source: 'simpul.yaml', env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('interpolation', () => {
  it('uses the default when the variable is unset or empty, and the variable when set', () => {
    const input = { storage: { dir: '${BLOBS:-/srv/blobs}' } };
    expect(parseConfig(input, { env: {} }).storage.dir).toBe('/srv/blobs');
    expect(parseConfig(input, { env: { BLOBS: '' } }).storage.dir).toBe('/srv/blobs');
    expect(parseConfig(input, { env: { BLOBS: '/data' } }).storage.dir).toBe('/data');
  });

  it('allows an empty default', () => {
    expect(parseConfig({ storage: { dir: '/srv${SUFFIX:-}' } }).storage.dir).toBe('/srv');
  });

  it('names the missing variable and the key path', () => {
    const error = problemsOf({ admin: { clientSecret: '${ADMIN_SECRET}' }, database: { url: 'postgres://u:${DB_PW}@h/db' } });
    expect(error.format()).toBe(
      [
        'simpul.yaml: admin.clientSecret: ${ADMIN_SECRET} is not set in the environment and has no default (write ${ADMIN_SECRET:-value} to give one)',
        'simpul.yaml: database.url: ${DB_PW} is not set in the environment and has no default (write ${DB_PW:-value} to give one)',
      ].join('\n'),
    );
  });

  it('keeps $${ as a literal ${ and a lone $ as it is', () => {
    const config = parseConfig({ admin: { clientSecret: 'a$${NOT_A_VAR}b$c$$d' } }, { env: { NOT_A_VAR: 'x' } });
    expect(config.admin.clientSecret).toBe('a${NOT_A_VAR}b$c$$d');
  });

  it('refuses malformed references', () => {
    const error = problemsOf({ admin: { clientId: '${1ABC}', clientSecret: 'x${UNTERMINATED' } });
    expect(error.problems.map((problem) => problem.path)).toEqual(['admin.clientId', 'admin.clientSecret']);
    expect(error.problems[0].message).toContain('malformed reference "${1ABC}"');
    expect(error.problems[1].message).toContain('malformed reference "${UNTERMINATED"');
  });

  it('does not interpolate the value of a variable a second time', () => {
    const config = parseConfig({ admin: { clientSecret: '${A}' } }, { env: { A: '${B}', B: 'leak' } });
    expect(config.admin.clientSecret).toBe('${B}');
  });

  it('turns an interpolated number into a number and validates it', () => {
    expect(parseConfig({ hub: { port: '${PORT}' } }, { env: { PORT: '9000' } }).hub.port).toBe(9000);
    const error = problemsOf({ hub: { port: '${PORT}' } }, { PORT: 'eighty' });
    expect(error.format()).toBe('simpul.yaml: hub.port: expected a number between 1 and 65535, found "eighty"');
  });
});

describe('validation', () => {
  it('names an unknown key at depth and suggests the close one', () => {
    const error = problemsOf({ hub: { prot: 9000 }, dicom: { AETitle: 'X' } });
    expect(error.format()).toBe(
      [
        'simpul.yaml: hub.prot: unknown key "prot" (did you mean "port"?)',
        'simpul.yaml: dicom.AETitle: unknown key "AETitle" (did you mean "aeTitle"?)',
      ].join('\n'),
    );
    expect(error.problems[0]).toMatchObject({ path: 'hub.prot', found: '"prot"' });
    expect(error.problems[0].expected).toContain('port, host, baseUrl');
  });

  it('suggests the section for a misspelt top-level key and lists the keys when nothing is close', () => {
    const error = problemsOf({ hbu: {}, satusehatt: {} });
    expect(error.problems[0].message).toBe('unknown key "hbu" (did you mean "hub"?)');
    expect(error.problems[1].message).toBe(`unknown key "satusehatt" (known keys: ${configComponents.map((c) => c.key).join(', ')})`);
  });

  it('quotes odd key names in the path', () => {
    const error = problemsOf({ hub: { 'max.body': 1 } });
    expect(error.problems[0].path).toBe('hub["max.body"]');
  });

  it('reports a wrong type in words', () => {
    const error = problemsOf({ database: { maxConnections: true }, hub: { host: ['a'] }, log: 5 });
    expect(error.format()).toBe(
      [
        'simpul.yaml: hub.host: expected a host name or IP address such as 127.0.0.1, 0.0.0.0 or ::, found a list of 1 item',
        'simpul.yaml: database.maxConnections: expected a whole number between 1 and 10000, found true',
        'simpul.yaml: log: expected a mapping of keys to values, found 5',
      ].join('\n'),
    );
  });

  it('refuses ports out of range or not whole', () => {
    for (const port of [0, 65536, -1, 80.5]) {
      const error = problemsOf({ mllp: { port } });
      expect(error.format()).toBe(`simpul.yaml: mllp.port: expected a number between 1 and 65535, found ${port}`);
    }
    expect(parseConfig({ mllp: { port: 65535 } }).mllp.port).toBe(65535);
  });

  it('accepts text that is a plain number where a number is expected, and nothing looser', () => {
    expect(parseConfig({ hub: { port: '9000' } }).hub.port).toBe(9000);
    for (const port of ['9000abc', '0x1F90', '', ' ']) {
      expect(problemsOf({ hub: { port } }).problems[0].path).toBe('hub.port');
    }
  });

  it('applies DICOM AE title rules', () => {
    expect(parseConfig({ dicom: { aeTitle: '  PACS 1  ' } }).dicom.aeTitle).toBe('PACS 1');
    expect(parseConfig({ dicom: { aeTitle: 'A'.repeat(16) } }).dicom.aeTitle).toHaveLength(16);
    for (const aeTitle of ['A'.repeat(17), 'BAD\\AE', '    ', '', 'ÄÖÜ', 'TAB\tAE']) {
      const error = problemsOf({ dicom: { aeTitle } });
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatchObject({ path: 'dicom.aeTitle' });
      expect(error.problems[0].expected).toContain('1 to 16 printable ASCII characters');
    }
  });

  it('reads byte sizes as numbers or with units', () => {
    const config = parseConfig({ hub: { maxBodyBytes: '1.5 KiB', maxBinaryBytes: '2GB' } });
    expect(config.hub.maxBodyBytes).toBe(1536);
    expect(config.hub.maxBinaryBytes).toBe(2_000_000_000);
    for (const size of ['10 XB', '-1', 0, -5, 0.5, 'MiB', true]) {
      const error = problemsOf({ hub: { maxBodyBytes: size } });
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0].message).toMatch(/^expected a size in bytes such as 16777216 or "16 MiB", found /);
    }
  });

  it('derives baseUrl from host and port, brackets IPv6 and adds the trailing slash', () => {
    expect(parseConfig({ hub: { host: '::1', port: 9000 } }).hub.baseUrl).toBe('http://[::1]:9000/');
    expect(parseConfig({ hub: { baseUrl: 'https://fhir.rs.example/hub' } }).hub.baseUrl).toBe('https://fhir.rs.example/hub/');
    expect(problemsOf({ hub: { baseUrl: 'ftp://example.org/' } }).problems[0].path).toBe('hub.baseUrl');
    expect(problemsOf({ hub: { baseUrl: 'not a url' } }).problems[0].path).toBe('hub.baseUrl');
  });

  it('refuses hosts that are URLs or contain spaces', () => {
    for (const host of ['http://example.org', 'two words', 'user@host', '']) {
      expect(problemsOf({ mllp: { host } }).problems[0].path).toBe('mllp.host');
    }
  });

  it('checks URL schemes of the database and the bus', () => {
    const error = problemsOf({ database: { url: 'mysql://root@localhost/simpul' }, bus: { url: 'localhost:5672' } });
    expect(error.format()).toBe(
      [
        'simpul.yaml: database.url: expected a URL starting with postgres:// or postgresql://, found "mysql://root@localhost/simpul"',
        'simpul.yaml: bus.url: expected a URL starting with amqp:// or amqps:// or postgres:// or postgresql://, found "localhost:5672"',
      ].join('\n'),
    );
  });

  it('without database.url runs the embedded database, and without bus.url the bus follows the database', () => {
    const appliance = parseConfig({}, { env: {} });
    expect(appliance.database.url).toBe(EMBEDDED_DATABASE_URL);
    expect(appliance.database.embedded).toEqual({ dir: './data/pg' });
    expect(appliance.bus.url).toBe(EMBEDDED_DATABASE_URL);
    const external = parseConfig({ database: { url: 'postgres://db/simpul', embedded: { port: 6000 } } }, { env: {} });
    expect(external.database.embedded).toBeUndefined();
    expect(external.bus.url).toBe('postgres://db/simpul');
    const rabbit = parseConfig({}, { env: { DATABASE_URL: 'postgres://env/simpul', AMQP_URL: 'amqp://mq/simpul', SIMPUL_PG_DIR: '/srv/pg' } });
    expect(rabbit.database.url).toBe('postgres://env/simpul');
    expect(rabbit.bus.url).toBe('amqp://mq/simpul');
    expect(parseConfig({}, { env: { SIMPUL_PG_DIR: '/srv/pg', SIMPUL_PG_PORT: '6543' } }).database.embedded).toEqual({ dir: '/srv/pg', port: 6543 });
    expect(problemsOf({ database: { embedded: { port: 0, dri: 'x' } } }).format()).toMatch(/database\.embedded\.port: expected a number between 1 and 65535[\s\S]*database\.embedded\.dri: unknown key/);
  });

  it('lists the log levels when one is wrong, and reads a pretty flag given as text', () => {
    expect(problemsOf({ log: { level: 'verbose' } }).problems[0].expected).toBe(
      'one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    );
    expect(parseConfig({ log: { pretty: 'yes' } }).log.pretty).toBe(true);
    expect(problemsOf({ log: { pretty: 'sometimes' } }).problems[0].found).toBe('"sometimes"');
  });

  it('never prints a secret it refuses', () => {
    const error = problemsOf({ admin: { clientSecret: 12345678 }, database: { url: 'mysql://root:hunter2@db/simpul' } });
    const text = error.format();
    expect(text).not.toContain('12345678');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('mysql://root:***@db/simpul');
  });

  it('reports every problem at once, not just the first', () => {
    const error = problemsOf({ hub: { port: 'x', host: 1 }, mllp: { port: 0 }, extra: true });
    expect(error.problems.map((problem) => problem.path)).toEqual(['hub.port', 'hub.host', 'mllp.port', 'extra']);
  });

  it('refuses a top level that is not a mapping', () => {
    for (const input of ['hub', 42, [1]]) {
      expect(problemsOf(input).problems[0]).toMatchObject({ path: '', expected: expect.stringContaining('a mapping') });
    }
  });
});
