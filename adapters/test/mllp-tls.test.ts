import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { INGEST_QUEUE } from '@simpul/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBus } from './mllp-support.ts';
import { adtMessage, captureLogger, eventually, mllpConfig, msa, RawMllpClient, startTestBus, takeEnvelopes } from './mllp-support.ts';
import { startMllpListeners } from '../src/mllp/mllp-listener.ts';

const run = promisify(execFile);

let testBus: TestBus;
let dir: string;
let serverCert: Buffer;
let clientCert: Buffer;
let clientKey: Buffer;

/** A self-signed certificate made with openssl for this run. */
async function selfSigned(name: string, commonName: string): Promise<void> {
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-keyout', join(dir, `${name}-key.pem`), '-out', join(dir, `${name}-cert.pem`),
    '-subj', `/CN=${commonName}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'simpul-mllp-tls-'));
  await selfSigned('server', 'localhost');
  await selfSigned('client', 'ris-client');
  [serverCert, clientCert, clientKey] = await Promise.all([
    readFile(join(dir, 'server-cert.pem')),
    readFile(join(dir, 'client-cert.pem')),
    readFile(join(dir, 'client-key.pem')),
  ]);
  testBus = await startTestBus();
});

afterAll(async () => {
  await testBus.remove();
  await rm(dir, { recursive: true, force: true });
});

const tlsSettings = () => ({ certFile: join(dir, 'server-cert.pem'), keyFile: join(dir, 'server-key.pem') });

describe('MLLP over TLS', () => {
  it('accepts a message over TLS with a self-signed certificate, and a plain client on the TLS port fails its handshake without harm', async () => {
    const { logger, lines } = captureLogger();
    const listeners = await startMllpListeners(mllpConfig({ tls: tlsSettings() }), { bus: testBus.bus, logger });
    try {
      const port = listeners.ports.default;
      const plain = await RawMllpClient.connect(port);
      plain.send(adtMessage({ 10: 'PLAIN' }));
      await plain.closed;
      await eventually('the failed handshake is logged', () => lines.some((line) => line.msg === 'MLLP TLS handshake failed'));

      const client = await RawMllpClient.connect(port, { ca: serverCert, servername: 'localhost' });
      client.send(adtMessage({ 10: 'TLS1' }));
      expect(msa(await client.nextAck())).toMatchObject({ code: 'AA', controlId: 'TLS1' });
      client.close();
    } finally {
      await listeners.close();
    }
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(1);
    const [envelope] = await takeEnvelopes(testBus.bus, 1);
    expect(envelope.headers).toMatchObject({ controlId: 'TLS1', tls: 'true' });
  });

  it('with requireClientCert, refuses a client without a certificate and serves one with a trusted certificate', async () => {
    const { logger } = captureLogger();
    const config = mllpConfig({ tls: { ...tlsSettings(), caFile: join(dir, 'client-cert.pem'), requireClientCert: true } });
    const listeners = await startMllpListeners(config, { bus: testBus.bus, logger });
    try {
      const port = listeners.ports.default;
      const anonymous = await RawMllpClient.connect(port, { ca: serverCert, servername: 'localhost' }).catch((error: Error) => error);
      if (anonymous instanceof RawMllpClient) {
        // TLS 1.3: the server's refusal arrives after the client thinks the handshake is done.
        anonymous.send(adtMessage({ 10: 'ANON' }));
        await expect(anonymous.nextAck(5000)).rejects.toThrow(/closed before an ACK/);
      } else {
        expect(anonymous.message).toMatch(/certificate|alert|socket/i);
      }
      const client = await RawMllpClient.connect(port, { ca: serverCert, servername: 'localhost', cert: clientCert, key: clientKey });
      client.send(adtMessage({ 10: 'MTLS' }));
      expect(msa(await client.nextAck())).toMatchObject({ code: 'AA', controlId: 'MTLS' });
      client.close();
    } finally {
      await listeners.close();
    }
    const [envelope] = await takeEnvelopes(testBus.bus, 1);
    expect(envelope.headers?.controlId).toBe('MTLS');
  });

  it('refuses to start when a certificate file cannot be read, naming the setting and the file', async () => {
    const { logger } = captureLogger();
    const config = mllpConfig({ sources: [{ name: 'ris', tls: { certFile: join(dir, 'missing.pem'), keyFile: join(dir, 'server-key.pem') } }] });
    await expect(startMllpListeners(config, { bus: testBus.bus, logger })).rejects.toThrow(/MLLP source "ris": cannot read tls.certFile .*missing\.pem/);
  });
});
