import type { Task } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { deliveryRow, overallState, timelineOf } from './delivery.ts';
import { worklistSearch, filtersFromQuery, filtersToQuery, DEFAULT_FILTERS } from './worklist-query.ts';
import { segmentLines } from './hl7-view.ts';

const task = (code: string, at: string, extra: Partial<Task> = {}): Task => ({
  resourceType: 'Task',
  id: 't1',
  status: 'in-progress',
  intent: 'order',
  owner: { display: 'pacs' },
  businessStatus: { coding: [{ system: 'https://simpul.dev/fhir/CodeSystem/delivery-status', code }], text: `now ${code}` },
  meta: { lastUpdated: at },
  ...extra,
});

describe('delivery rows from Tasks', () => {
  it('reads state, error, attempts and what the destination accepted', () => {
    const row = deliveryRow(
      task('failed', '2025-01-01T00:00:03Z', {
        statusReason: { text: 'association rejected' },
        extension: [{ url: 'https://simpul.dev/fhir/StructureDefinition/delivery-attempts', valueInteger: 5 }],
        output: [
          { type: { coding: [{ system: 'https://simpul.dev/fhir/CodeSystem/delivery-output', code: 'delivered-instance' }] }, valueOid: 'urn:oid:1.2.3' },
          { type: { coding: [{ system: 'https://simpul.dev/fhir/CodeSystem/delivery-output', code: 'remote-id' }], text: 'ImagingStudy' }, valueString: 'abc' },
        ],
      }),
    );
    expect(row).toMatchObject({ destination: 'pacs', state: 'failed', error: 'association rejected', attempts: 5, deliveredInstances: 1, remoteIds: [{ name: 'ImagingStudy', id: 'abc' }] });
  });

  it('an unknown business status falls back to the Task status, never throws', () => {
    expect(deliveryRow(task('<script>', 'x', { status: 'completed' })).state).toBe('delivered');
    expect(deliveryRow({ resourceType: 'Task', status: 'draft', intent: 'order' }).state).toBe('unknown');
  });

  it('folds repeated versions into state changes, oldest first', () => {
    const entries = timelineOf([task('failed', '2025-01-01T00:00:03Z'), task('sending', '2025-01-01T00:00:01Z'), task('sending', '2025-01-01T00:00:02Z')]);
    expect(entries.map((entry) => entry.state)).toEqual(['sending', 'failed']);
  });

  it('the worst state wins for the worklist column', () => {
    expect(overallState([])).toBe('none');
    expect(overallState([deliveryRow(task('delivered', 'a')), deliveryRow(task('failed', 'b'))])).toBe('failed');
  });
});

describe('worklist search', () => {
  it('turns filters into a FHIR search, names into patient.name and identifiers into patient.identifier', () => {
    const params = worklistSearch({ ...DEFAULT_FILTERS, from: '2025-01-01', to: 'not-a-date', modality: 'ct', patient: 'RM-0001', delivery: 'failed', page: 3 });
    expect(params.getAll('started')).toEqual(['ge2025-01-01']);
    expect(params.get('modality')).toBe('CT');
    expect(params.get('patient.identifier')).toBe('RM-0001');
    expect(params.get('_has:Task:focus:business-status')).toBe('https://simpul.dev/fhir/CodeSystem/delivery-status|failed');
    expect(params.get('_offset')).toBe('40');
    expect(worklistSearch({ ...DEFAULT_FILTERS, patient: 'Santoso' }).get('patient.name')).toBe('Santoso');
  });

  it('round-trips through the URL and ignores hostile values', () => {
    const filters = filtersFromQuery(filtersToQuery({ ...DEFAULT_FILTERS, modality: 'MR', sort: 'modality', page: 2 }));
    expect(filters).toMatchObject({ modality: 'MR', sort: 'modality', page: 2 });
    expect(filtersFromQuery('sort=drop&page=-5&delivery=evil')).toMatchObject({ sort: '-started', page: 1, delivery: undefined });
  });
});

describe('raw HL7 view', () => {
  it('flags the segments an error names', () => {
    const lines = segmentLines('MSH|^~\\&|A\rPID|1||\rPV1|1', 'no patient identifier (PID-3 is empty)');
    expect(lines.map((line) => [line.name, line.flagged])).toEqual([['MSH', false], ['PID', true], ['PV1', false]]);
  });
});
