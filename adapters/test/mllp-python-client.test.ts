import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { INGEST_QUEUE } from '@simpul/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBus, TestListener } from './mllp-support.ts';
import { adtMessage, startTestBus, startTestListener, takeEnvelopes } from './mllp-support.ts';
import { encodeMllpFrame } from '../src/mllp/mllp-frame.ts';

/**
 * An independent MLLP client: `mllp_send` from Debian's python3-hl7 (apt-get install python3-hl7).
 * It sends each framed message of a file on one connection and prints each ACK it gets back.
 */
const MLLP_SEND = '/usr/bin/mllp_send';
const run = promisify(execFile);

let testBus: TestBus;
let listener: TestListener;
let dir: string;

beforeAll(async () => {
  testBus = await startTestBus();
  listener = await startTestListener(testBus.bus, { defaultCharset: '8859/1' });
  dir = await mkdtemp(join(tmpdir(), 'simpul-mllp-send-'));
});

afterAll(async () => {
  await listener.close();
  await testBus.remove();
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(MLLP_SEND))("python3-hl7's mllp_send as an independent client", () => {
  it('gets AA for good messages and AR with ERR for a bad one, in order, on one connection', async () => {
    const messages = [
      Buffer.from(adtMessage({ 10: 'PY1' }), 'utf8'),
      Buffer.from(adtMessage({ 10: 'PY2', 18: '8859/1' }, 'PID|1||77^^^RSUD^MR||Müller^José'), 'latin1'),
      Buffer.from(adtMessage({ 9: 'ZZZ^Z01', 10: 'PY3' }), 'utf8'),
      Buffer.from(adtMessage({ 10: 'PY4' }, 'PID|1||78^^^RSUD^MR||Lestari^Dewi Ayu'), 'utf8'),
    ];
    const file = join(dir, 'messages.hl7');
    await writeFile(file, Buffer.concat(messages.map(encodeMllpFrame)));
    const { stdout } = await run(MLLP_SEND, ['-p', String(listener.port), '-f', file, '127.0.0.1'], { encoding: 'latin1', timeout: 20_000 });
    const answers = [...stdout.matchAll(/MSA\|(\w\w)\|([^|\r]*)/g)].map((match) => `${match[1]} ${match[2]}`);
    expect(answers).toEqual(['AA PY1', 'AA PY2', 'AR PY3', 'AA PY4']);
    expect(stdout).toMatch(/ERR\|[^\r]*\|MSH\^1\^9\|200\^Unsupported message type\^HL70357\|E/);
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(3);
    const envelopes = await takeEnvelopes(testBus.bus, 3);
    expect(envelopes.find((envelope) => envelope.headers?.controlId === 'PY2')?.body).toContain('Müller^José');
  });
});
