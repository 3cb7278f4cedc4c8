import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Transcodes test images with Debian's dcmtk (an independent, widely used encoder), so the decoders are
 * tested against files they did not write themselves. Files live in a temporary directory only.
 */

const run = promisify(execFile);

/** dcmtk command line per target syntax (dcmtk 3.6.7 flags). */
export const DCMTK_CONVERSIONS = {
  'implicit-little': ['dcmconv', '+ti'],
  'explicit-big': ['dcmconv', '+tb'],
  deflated: ['dcmconv', '+td'],
  'jpeg-baseline': ['dcmcjpeg', '+eb'],
  'jpeg-extended': ['dcmcjpeg', '+ee'],
  'jpeg-lossless-process14': ['dcmcjpeg', '+el'],
  'jpeg-lossless-sv1': ['dcmcjpeg', '+e1'],
  'jpeg-ls-lossless': ['dcmcjpls', '+el'],
  'jpeg-ls-near-lossless': ['dcmcjpls', '+en'],
  rle: ['dcmcrle'],
} as const satisfies Record<string, readonly string[]>;

export type DcmtkConversion = keyof typeof DCMTK_CONVERSIONS;

export class DcmtkWorkspace {
  private readonly directory: string;
  private counter = 0;

  private constructor(directory: string) {
    this.directory = directory;
  }

  static async create(): Promise<DcmtkWorkspace> {
    try {
      await run('dcmconv', ['--version']);
    } catch (error) {
      throw new Error('these tests need Debian\'s dcmtk (apt-get install dcmtk): dcmconv is not on the PATH', { cause: error });
    }
    return new DcmtkWorkspace(await mkdtemp(join(tmpdir(), 'simpul-dicom-')));
  }

  /** Runs the dcmtk conversion on `input` and returns the file it wrote; `extraArguments` go before the file names. */
  async transcode(input: Uint8Array, conversion: DcmtkConversion, extraArguments: readonly string[] = []): Promise<Uint8Array> {
    const [tool, ...options] = DCMTK_CONVERSIONS[conversion];
    const source = join(this.directory, `in-${++this.counter}.dcm`);
    const target = join(this.directory, `out-${this.counter}.dcm`);
    await writeFile(source, input);
    await run(tool, [...options, ...extraArguments, source, target]);
    return new Uint8Array(await readFile(target));
  }

  async dispose(): Promise<void> {
    await rm(this.directory, { recursive: true, force: true });
  }
}
