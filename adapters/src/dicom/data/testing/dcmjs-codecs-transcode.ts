/**
 * JPEG 2000, HTJ2K and JPEG XL test files. dcmtk has no encoder for them, so these come from the
 * dcmjs-codecs encoders, a dependency of dcmjs-imaging that adapters does not declare itself; when it
 * cannot be loaded the callers skip those syntaxes and say why.
 */

interface TranscoderInstance {
  transcode(syntax: string): void;
  getDicomPart10(): ArrayBuffer;
}

interface DcmjsCodecs {
  NativeCodecs: { initializeAsync(): Promise<void>; isInitialized(): boolean };
  Transcoder: new (part10: ArrayBuffer) => TranscoderInstance;
}

export const CODEC_TRANSCODER_SYNTAXES = {
  'jpeg2000-lossless': '1.2.840.10008.1.2.4.90',
  jpeg2000: '1.2.840.10008.1.2.4.91',
  'htj2k-lossless': '1.2.840.10008.1.2.4.201',
  'jpeg-xl-lossless': '1.2.840.10008.1.2.4.110',
} as const;

export type CodecTranscoderSyntax = keyof typeof CODEC_TRANSCODER_SYNTAXES;

export type Transcode = (input: Uint8Array, syntax: CodecTranscoderSyntax) => Uint8Array;

/** A transcoder, or the reason there is none. */
export async function loadDcmjsCodecsTranscoder(): Promise<{ transcode: Transcode } | { unavailable: string }> {
  let codecs: DcmjsCodecs;
  try {
    const moduleName = 'dcmjs-codecs';
    codecs = ((await import(moduleName)) as { default: DcmjsCodecs }).default;
    if (!codecs.NativeCodecs.isInitialized()) {
      await codecs.NativeCodecs.initializeAsync();
    }
  } catch (error) {
    return { unavailable: `dcmjs-codecs cannot be loaded (${(error as Error).message}); no JPEG 2000 / HTJ2K / JPEG XL test files` };
  }
  return {
    transcode: (input, syntax) => {
      const transcoder = new codecs.Transcoder(new Uint8Array(input).buffer);
      transcoder.transcode(CODEC_TRANSCODER_SYNTAXES[syntax]);
      return new Uint8Array(transcoder.getDicomPart10());
    },
  };
}
