import { describe, expect, it } from 'vitest';
import type { DuplicateKey } from './duplicate-window.ts';
import { duplicateKey, DuplicateWindow, envelopeIdFor } from './duplicate-window.ts';

const header = { sendingApplication: 'HIS', sendingFacility: 'RSUD', controlId: 'C1', messageType: 'ADT^A01' };
const key = (controlId = 'C1', body = '\rPID|1||123'): DuplicateKey =>
  duplicateKey({ source: 'his', header: { ...header, controlId }, text: `MSH|^~\\&|HIS|RSUD|||20240101||ADT^A01|${controlId}|P|2.5${body}` });

describe('duplicateKey and envelopeIdFor', () => {
  it('ignores MSH-7 and other MSH fields but not the body, the sender or the control id', () => {
    const a = duplicateKey({ source: 'his', header, text: 'MSH|^~\\&|HIS|RSUD|||20240101||ADT^A01|C1|P|2.5\rPID|1' });
    const resent = duplicateKey({ source: 'his', header, text: 'MSH|^~\\&|HIS|RSUD|||20240102||ADT^A01|C1|P|2.5\rPID|1' });
    expect(resent).toEqual(a);
    expect(duplicateKey({ source: 'his', header, text: 'MSH|x\rPID|2' }).digest).not.toBe(a.digest);
    expect(duplicateKey({ source: 'lab', header, text: 'MSH|x\rPID|1' }).identity).not.toBe(a.identity);
    expect(key('C2').identity).not.toBe(key('C1').identity);
  });

  it('gives the same UUIDv5 inside one window bucket and a different one in the next', () => {
    const windowMs = 600_000;
    const start = new Date(Math.floor(Date.now() / windowMs) * windowMs);
    const first = envelopeIdFor(key(), start, windowMs);
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(envelopeIdFor(key(), new Date(start.getTime() + windowMs - 1), windowMs)).toBe(first);
    expect(envelopeIdFor(key(), new Date(start.getTime() + windowMs), windowMs)).not.toBe(first);
    expect(envelopeIdFor(key('C2'), start, windowMs)).not.toBe(first);
  });

  it('gives a fresh random id when duplicate detection is off', () => {
    expect(envelopeIdFor(key(), new Date(0), 0)).not.toBe(envelopeIdFor(key(), new Date(0), 0));
  });
});

describe('DuplicateWindow', () => {
  it('publishes once and reports copies inside the window as duplicates, and publishes again after it', async () => {
    let now = 1_000;
    const window = new DuplicateWindow({ windowMs: 100, maxEntries: 10, now: () => now });
    let published = 0;
    const publish = async (): Promise<void> => {
      published++;
    };
    expect(await window.runOnce(key(), publish)).toBe('published');
    now += 99;
    expect(await window.runOnce(key(), publish)).toBe('duplicate');
    now += 1;
    expect(await window.runOnce(key(), publish)).toBe('published');
    expect(published).toBe(2);
  });

  it('does not remember a failed publish, so the retry is stored', async () => {
    const window = new DuplicateWindow({ windowMs: 60_000, maxEntries: 10 });
    await expect(window.runOnce(key(), async () => Promise.reject(new Error('bus down')))).rejects.toThrow('bus down');
    let published = 0;
    expect(
      await window.runOnce(key(), async () => {
        published++;
      }),
    ).toBe('published');
    expect(published).toBe(1);
  });

  it('lets a copy that arrives while the first is being stored wait for it', async () => {
    const window = new DuplicateWindow({ windowMs: 60_000, maxEntries: 10 });
    let release!: () => void;
    let published = 0;
    const first = window.runOnce(key(), () => {
      published++;
      return new Promise<void>((resolve) => (release = resolve));
    });
    const second = window.runOnce(key(), async () => {
      published++;
    });
    release();
    expect(await first).toBe('published');
    expect(await second).toBe('duplicate');
    expect(published).toBe(1);
  });

  it('publishes a reused control id with different content and says so', async () => {
    const window = new DuplicateWindow({ windowMs: 60_000, maxEntries: 10 });
    const publish = async (): Promise<void> => undefined;
    expect(await window.runOnce(key('C1', '\rPID|1||A'), publish)).toBe('published');
    expect(await window.runOnce(key('C1', '\rPID|1||B'), publish)).toBe('reused-id');
    expect(await window.runOnce(key('C1', '\rPID|1||B'), publish)).toBe('duplicate');
  });

  it('forgets the oldest entries beyond maxEntries', async () => {
    const window = new DuplicateWindow({ windowMs: 60_000, maxEntries: 3 });
    const publish = async (): Promise<void> => undefined;
    for (const id of ['1', '2', '3', '4']) await window.runOnce(key(id), publish);
    expect(window.size).toBe(3);
    expect(await window.runOnce(key('1'), publish)).toBe('published');
    expect(await window.runOnce(key('4'), publish)).toBe('duplicate');
  });

  it('always publishes when the window is 0', async () => {
    const window = new DuplicateWindow({ windowMs: 0, maxEntries: 3 });
    const publish = async (): Promise<void> => undefined;
    expect(await window.runOnce(key(), publish)).toBe('published');
    expect(await window.runOnce(key(), publish)).toBe('published');
  });
});
