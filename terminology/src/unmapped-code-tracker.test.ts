import { describe, expect, it } from 'vitest';
import { UnmappedCodeTracker } from './unmapped-code-tracker.ts';

const LOCAL = 'http://hospital.example/cs/exam';
const LOINC = 'http://loinc.org';

describe('UnmappedCodeTracker', () => {
  it('counts sightings per code and target, keeping first/last seen and an example message', () => {
    const tracker = new UnmappedCodeTracker();
    tracker.record({ system: LOCAL, code: 'A', targetSystem: LOINC, messageId: 'm1', at: new Date('2024-05-01T10:00:00Z') });
    tracker.record({ system: LOCAL, code: 'B', display: 'Bee', targetSystem: LOINC, messageId: 'm2', at: new Date('2024-05-01T11:00:00Z') });
    tracker.record({ system: LOCAL, code: 'A', display: 'Ay', targetSystem: LOINC, messageId: 'm3', at: new Date('2024-05-02T09:00:00Z') });
    tracker.record({ system: LOCAL, code: 'A', targetSystem: LOINC, messageId: 'm4', at: new Date('2024-04-30T08:00:00Z') });
    tracker.record({ system: LOCAL, code: 'A', targetSystem: 'http://other.example', at: new Date('2024-05-03T00:00:00Z') });
    expect(tracker.report()).toEqual([
      { system: LOCAL, code: 'A', display: 'Ay', targetSystem: LOINC, count: 3, firstSeen: '2024-04-30T08:00:00.000Z', lastSeen: '2024-05-02T09:00:00.000Z', exampleMessageId: 'm1' },
      { system: LOCAL, code: 'A', targetSystem: 'http://other.example', count: 1, firstSeen: '2024-05-03T00:00:00.000Z', lastSeen: '2024-05-03T00:00:00.000Z' },
      { system: LOCAL, code: 'B', display: 'Bee', targetSystem: LOINC, count: 1, firstSeen: '2024-05-01T11:00:00.000Z', lastSeen: '2024-05-01T11:00:00.000Z', exampleMessageId: 'm2' },
    ]);
  });

  it('returns copies, bounds the number of codes and can be cleared', () => {
    const tracker = new UnmappedCodeTracker({ maxEntries: 2 });
    tracker.record({ system: LOCAL, code: 'A' });
    tracker.record({ system: LOCAL, code: 'B' });
    tracker.record({ system: LOCAL, code: 'C' });
    tracker.record({ system: LOCAL, code: 'A' });
    expect(tracker.size).toBe(2);
    expect(tracker.dropped).toBe(1);
    tracker.report()[0].count = 999;
    expect(tracker.report()[0]).toMatchObject({ code: 'A', count: 2 });
    tracker.clear();
    expect([tracker.size, tracker.dropped, tracker.report()]).toEqual([0, 0, []]);
  });
});
