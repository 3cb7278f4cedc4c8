import type { InstanceMetadata } from '../../../dicom/data/instance-metadata.ts';

export const STUDY_UID = '1.2.360.7001.20250909.1';

/** One instance of the test study; `overrides` replace whole groups. */
export function instanceMetadata(series: number, instance: number, overrides: Partial<InstanceMetadata> = {}): InstanceMetadata {
  const modality = ['CT', 'CT', 'SR'][series % 3];
  return {
    studyInstanceUid: STUDY_UID,
    seriesInstanceUid: `${STUDY_UID}.${series}`,
    sopInstanceUid: `${STUDY_UID}.${series}.${instance}`,
    sopClassUid: modality === 'SR' ? '1.2.840.10008.5.1.4.1.1.88.22' : '1.2.840.10008.5.1.4.1.1.2',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    patient: { id: '3404012345678901', issuer: 'NIK', name: { text: 'Sukarno' }, birthDate: '1945-08-17', sex: 'male' },
    study: { accessionNumber: 'ACC-00403', started: '2025-09-09T14:17:30+07:00', description: 'CT THORAX KONTRAS' },
    series: {
      modality,
      // Series 2 carries no number: it must sort after the numbered ones.
      ...(series === 2 ? {} : { number: 10 - series * 3 }),
      description: `series ${series}`,
      bodyPartExamined: series === 0 ? 'CHEST' : 'THORAX-ABD',
      laterality: series === 1 ? 'R' : undefined,
    },
    // Every fifth instance has no number, as some modalities do for localisers.
    instance: { ...(instance % 5 === 4 ? {} : { number: instance + 1 }), imageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'], rows: 512, columns: 512 },
    equipment: { sourceAeTitle: 'CT01' },
    warnings: [],
    ...overrides,
  };
}

/** A deterministic shuffle (mulberry32), so a failing order can be reproduced from its seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
