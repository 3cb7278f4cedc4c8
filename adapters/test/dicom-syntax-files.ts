import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NaturalizedDataset } from 'dcmjs';
import { parseDicomFile } from '../src/dicom/data/parse-dicom-file.ts';
import { loadDcmjsCodecsTranscoder, type CodecTranscoderSyntax, type Transcode } from '../src/dicom/data/testing/dcmjs-codecs-transcode.ts';
import { DcmtkWorkspace, type DcmtkConversion } from '../src/dicom/data/testing/dcmtk.ts';
import { crGradient, ctGradient } from '../src/dicom/data/testing/synthetic-images.ts';
import { writeDicomFile } from '../src/dicom/data/write-dicom-file.ts';
import { SCP_AE, dcmtk, storescu, type DcmtkResult } from './dicom-support.ts';

/**
 * One small image per transfer syntax the receiver must take, made by dcmtk (or dcmjs-codecs for JPEG
 * 2000, which dcmtk 3.6.7 cannot encode), and the dcmtk peer and flag that make it propose that syntax:
 * storescu proposes uncompressed syntaxes unless told otherwise, has no flag for JPEG process 14
 * (dcmsend proposes a file's own syntax).
 */

type Variant = { kind: 'native' } | { kind: 'dcmtk'; conversion: DcmtkConversion } | { kind: 'codecs'; syntax: CodecTranscoderSyntax };

export interface SyntaxCase {
  readonly name: string;
  readonly uid: string;
  readonly variant: Variant;
  /** A 12-bit unsigned CR (80×64) instead of the signed 16-bit CT (64×64): dcmtk's near-lossless JPEG-LS takes unsigned pixels only. */
  readonly unsigned?: boolean;
  readonly peer: 'storescu' | 'dcmsend';
  readonly flags: readonly string[];
}

export const SYNTAX_CASES: readonly SyntaxCase[] = [
  { name: 'Explicit VR Little Endian', uid: '1.2.840.10008.1.2.1', variant: { kind: 'native' }, peer: 'storescu', flags: [] },
  { name: 'Implicit VR Little Endian', uid: '1.2.840.10008.1.2', variant: { kind: 'dcmtk', conversion: 'implicit-little' }, peer: 'storescu', flags: ['-xi'] },
  { name: 'Explicit VR Big Endian', uid: '1.2.840.10008.1.2.2', variant: { kind: 'dcmtk', conversion: 'explicit-big' }, peer: 'storescu', flags: ['-xb'] },
  { name: 'Deflated Explicit VR Little Endian', uid: '1.2.840.10008.1.2.1.99', variant: { kind: 'dcmtk', conversion: 'deflated' }, peer: 'storescu', flags: ['-xd'] },
  { name: 'JPEG Baseline', uid: '1.2.840.10008.1.2.4.50', variant: { kind: 'dcmtk', conversion: 'jpeg-baseline' }, peer: 'storescu', flags: ['-xy'] },
  { name: 'JPEG Extended', uid: '1.2.840.10008.1.2.4.51', variant: { kind: 'dcmtk', conversion: 'jpeg-extended' }, peer: 'storescu', flags: ['-xx'] },
  { name: 'JPEG Lossless Process 14', uid: '1.2.840.10008.1.2.4.57', variant: { kind: 'dcmtk', conversion: 'jpeg-lossless-process14' }, peer: 'dcmsend', flags: [] },
  { name: 'JPEG Lossless SV1', uid: '1.2.840.10008.1.2.4.70', variant: { kind: 'dcmtk', conversion: 'jpeg-lossless-sv1' }, peer: 'storescu', flags: ['-xs'] },
  { name: 'JPEG-LS Lossless', uid: '1.2.840.10008.1.2.4.80', variant: { kind: 'dcmtk', conversion: 'jpeg-ls-lossless' }, peer: 'storescu', flags: ['-xt'] },
  { name: 'JPEG-LS Near-Lossless', uid: '1.2.840.10008.1.2.4.81', variant: { kind: 'dcmtk', conversion: 'jpeg-ls-near-lossless' }, unsigned: true, peer: 'storescu', flags: ['-xu'] },
  { name: 'RLE Lossless', uid: '1.2.840.10008.1.2.5', variant: { kind: 'dcmtk', conversion: 'rle' }, peer: 'storescu', flags: ['-xr'] },
  { name: 'JPEG 2000 Lossless', uid: '1.2.840.10008.1.2.4.90', variant: { kind: 'codecs', syntax: 'jpeg2000-lossless' }, peer: 'storescu', flags: ['-xv'] },
  { name: 'JPEG 2000', uid: '1.2.840.10008.1.2.4.91', variant: { kind: 'codecs', syntax: 'jpeg2000' }, peer: 'storescu', flags: ['-xw'] },
];

export interface SyntaxFile {
  readonly path: string;
  /** Read back from the file: lossy dcmtk compression gives the instance a new SOP Instance UID. */
  readonly sopInstanceUid: string;
  readonly width: number;
  readonly height: number;
}

export class SyntaxFiles {
  readonly #workspace: DcmtkWorkspace;
  readonly #transcode: Transcode | undefined;
  readonly #dir: string;

  private constructor(workspace: DcmtkWorkspace, transcode: Transcode | undefined, dir: string) {
    this.#workspace = workspace;
    this.#transcode = transcode;
    this.#dir = dir;
  }

  static async create(dir: string): Promise<SyntaxFiles> {
    const loaded = await loadDcmjsCodecsTranscoder();
    return new SyntaxFiles(await DcmtkWorkspace.create(), 'transcode' in loaded ? loaded.transcode : undefined, dir);
  }

  /** True when JPEG 2000 files can be made (dcmjs-codecs loads). */
  get hasJpeg2000(): boolean {
    return this.#transcode !== undefined;
  }

  /** Writes the case's image with these UIDs; undefined when the syntax cannot be made here. */
  async write(syntax: SyntaxCase, uids: { study: string; series: string; sop: string }, extra: NaturalizedDataset = {}): Promise<SyntaxFile | undefined> {
    const image = syntax.unsigned ? crGradient({ rows: 64, columns: 80 }) : ctGradient({ rows: 64, columns: 64 });
    const base = writeDicomFile({ ...image, ...extra, StudyInstanceUID: uids.study, SeriesInstanceUID: uids.series, SOPInstanceUID: uids.sop });
    const { variant } = syntax;
    const bytes =
      variant.kind === 'native' ? base : variant.kind === 'dcmtk' ? await this.#workspace.transcode(base, variant.conversion) : this.#transcode?.(base, variant.syntax);
    if (!bytes) return undefined;
    const path = join(this.#dir, `${uids.sop}.dcm`);
    await writeFile(path, bytes);
    return { path, sopInstanceUid: String(parseDicomFile(bytes).dataset.SOPInstanceUID), width: syntax.unsigned ? 80 : 64, height: 64 };
  }

  async dispose(): Promise<void> {
    await this.#workspace.dispose();
  }
}

/** Sends a file with the dcmtk peer and flags of its syntax case. */
export function sendWithPeer(syntax: SyntaxCase, port: number, path: string): Promise<DcmtkResult> {
  return syntax.peer === 'storescu'
    ? storescu(port, [path], ['-v', ...syntax.flags])
    : dcmtk('dcmsend', ['-v', '-aet', 'STORESCU', '-aec', SCP_AE, '127.0.0.1', String(port), path]);
}
