import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ctGradient } from '../../adapters/src/dicom/data/testing/synthetic-images.ts';
import { writeDicomFile } from '../../adapters/src/dicom/data/write-dicom-file.ts';

/**
 * CT-sized test instances for the benchmark: 512×512 signed 16-bit slices (about 0.5 MB each), one
 * study per set, so each receiver gets instances it has not seen.
 */
export async function writeCtSet(dir: string, set: number, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const study = `1.2.826.0.1.3680043.10.9000.${set}`;
  const paths: string[] = [];
  for (let i = 1; i <= count; i++) {
    const dataset = {
      ...ctGradient(),
      StudyInstanceUID: study,
      SeriesInstanceUID: `${study}.1`,
      SOPInstanceUID: `${study}.1.${i}`,
      SeriesNumber: 1,
      InstanceNumber: i,
      PatientID: `BENCH-${set}`,
      PatientName: [{ Alphabetic: 'Bench^Pasien' }],
      PatientBirthDate: '19700101',
      PatientSex: 'F',
      StudyDate: '20250909',
      StudyTime: '101010',
      Modality: 'CT',
    };
    const path = join(dir, `ct-${set}-${String(i).padStart(3, '0')}.dcm`);
    await writeFile(path, writeDicomFile(dataset));
    paths.push(path);
  }
  return paths;
}
