import { ConfigError, parseConfig } from '@simpul/infra';
import { describe, expect, it } from 'vitest';

function problems(input: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(input, { source: 'simpul.yaml', env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).format().split('\n');
  }
  throw new Error('expected the configuration to be refused');
}

describe('mllp configuration', () => {
  it('keeps port/host, and without sources makes one source "default" with every default', () => {
    const mllp = parseConfig({}).mllp;
    expect(mllp).toMatchObject({ port: 2575, host: '127.0.0.1', maxMessageBytes: 10 * 1024 * 1024, duplicateWindowSeconds: 600, defaultCharset: 'UNICODE UTF-8' });
    expect(mllp.sources).toEqual([
      expect.objectContaining({ name: 'default', port: 2575, host: '127.0.0.1', idleTimeoutSeconds: 30, frameTimeoutSeconds: 120, maxConnections: 1000 }),
    ]);
    expect(mllp.versions).toEqual(['2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.8.1', '2.8.2']);
  });

  it('gives each source the top-level settings unless it sets its own, and SIMPUL_MLLP_PORT moves the default port', () => {
    const mllp = parseConfig(
      {
        mllp: {
          maxMessageBytes: '2 MiB',
          tls: { certFile: '/etc/simpul/mllp.pem', keyFile: '/etc/simpul/mllp.key' },
          sources: [
            { name: 'his', messageTypes: ['adt^*'] },
            { name: 'ris', port: 2576, host: '0.0.0.0', defaultCharset: '8859/1', duplicateWindowSeconds: 0, maxMessageBytes: 1000 },
          ],
        },
      },
      { env: { SIMPUL_MLLP_PORT: '3575' } },
    ).mllp;
    expect(mllp.sources[0]).toMatchObject({ name: 'his', port: 3575, host: '127.0.0.1', messageTypes: ['ADT^*'], maxMessageBytes: 2 * 1024 * 1024 });
    expect(mllp.sources[0].tls).toEqual({ certFile: '/etc/simpul/mllp.pem', keyFile: '/etc/simpul/mllp.key', requireClientCert: false });
    expect(mllp.sources[1]).toMatchObject({ name: 'ris', port: 2576, host: '0.0.0.0', defaultCharset: '8859/1', duplicateWindowSeconds: 0, maxMessageBytes: 1000 });
  });

  it('names every bad key with what it expects', () => {
    const lines = problems({
      mllp: {
        sources: [
          { name: 'r.s', port: 2577, messageTypes: ['ADT^A0'], versions: ['2.2'], defaultCharset: 'latin1', maxMessageBytes: '100 MiB', idleTimeoutSeconds: 0, prot: 1 },
        ],
      },
    });
    expect(lines).toEqual([
      expect.stringMatching(/^simpul\.yaml: mllp\.sources\[0\]\.name: expected a source name/),
      expect.stringMatching(/mllp\.sources\[0\]\.messageTypes\[0\]: expected a message type such as "ADT\^A01".*found "ADT\^A0"/),
      expect.stringMatching(/mllp\.sources\[0\]\.versions\[0\]: expected an HL7 version: one of 2\.3,.*found "2\.2"/),
      expect.stringMatching(/mllp\.sources\[0\]\.defaultCharset: expected a character set named as in MSH-18/),
      expect.stringMatching(/mllp\.sources\[0\]\.maxMessageBytes: expected a size in bytes up to 64 MiB/),
      expect.stringMatching(/mllp\.sources\[0\]\.idleTimeoutSeconds: expected a whole number between 1 and 86400, found 0/),
      expect.stringMatching(/mllp\.sources\[0\]\.prot: unknown key "prot" \(did you mean "port"\?\)/),
    ]);
  });

  it('refuses two sources with one name or one host:port', () => {
    expect(problems({ mllp: { sources: [{ name: 'his' }, { name: 'his', port: 2576 }, { name: 'lab' }] } })).toEqual([
      expect.stringMatching(/mllp\.sources\[1\]: expected a name no other source uses \("his" is also sources\[0\]\)/),
      expect.stringMatching(/mllp\.sources\[2\]: expected a host and port no other source uses \("his" already listens on 127\.0\.0\.1:2575/),
    ]);
  });

  it('requires both files of a TLS setting', () => {
    expect(problems({ mllp: { tls: { certFile: 'cert.pem' } } })).toEqual(['simpul.yaml: mllp.tls.keyFile: expected a file path, found nothing (the key is missing)']);
  });
});
