import { createRequire } from 'node:module';
import imaging from 'dcmjs-imaging';
import type { FrameCodec } from '../data/transfer-syntaxes.ts';

/**
 * The WebAssembly codecs of dcmjs-imaging (libjpeg-turbo, CharLS, OpenJPEG, OpenJPH, libjxl, RLE).
 * The module is compiled and instantiated once per process, on first use, and shared by every render.
 */

/** What the codecs need to know about a frame; the shape of dcmjs-imaging's Pixel object. */
export interface FrameDescription {
  getWidth(): number;
  getHeight(): number;
  getBitsAllocated(): number;
  getBitsStored(): number;
  getSamplesPerPixel(): number;
  getPixelRepresentation(): number;
  getPlanarConfiguration(): number;
  getPhotometricInterpretation(): string;
}

type DecodeFunction = (frame: FrameDescription, encoded: Uint8Array) => Uint8Array;

/**
 * NativePixelDecoder's per-codec decode functions. They are public static methods of the library (its
 * Pixel class calls them), but its index.d.ts leaves them out, hence this declaration and the check in
 * `initializeCodecs` that they exist.
 */
interface NativeFrameDecoders {
  decodeRle: DecodeFunction;
  decodeJpeg: DecodeFunction;
  decodeJpegLs: DecodeFunction;
  decodeJpeg2000: DecodeFunction;
  decodeJpegXl: DecodeFunction;
}

const DECODER_NAMES: Record<FrameCodec, keyof NativeFrameDecoders> = {
  rle: 'decodeRle',
  jpeg: 'decodeJpeg',
  'jpeg-ls': 'decodeJpegLs',
  jpeg2000: 'decodeJpeg2000',
  'jpeg-xl': 'decodeJpegXl',
};

let initialization: Promise<void> | undefined;

/** Loads the WebAssembly codecs once per process; later calls return the same promise. Idempotent. */
export function initializeCodecs(): Promise<void> {
  initialization ??= loadCodecs().catch((error: unknown) => {
    // A failed load (unreadable .wasm) may be retried by a later call rather than poisoning the process.
    initialization = undefined;
    throw error;
  });
  return initialization;
}

async function loadCodecs(): Promise<void> {
  const decoders = imaging.NativePixelDecoder as unknown as NativeFrameDecoders;
  const missing = Object.values(DECODER_NAMES).filter((name) => typeof decoders[name] !== 'function');
  if (missing.length > 0) {
    throw new Error(`dcmjs-imaging ${imaging.version} has no NativePixelDecoder.${missing.join(', .')}: the codec API changed`);
  }
  // The codecs print their complaints (libjxl traces and the like) through this logger as well as
  // throwing them; the thrown error is what we report, with the instance's context.
  imaging.log.setLevel('silent');
  if (!imaging.NativePixelDecoder.isInitialized()) {
    const wasmPath = createRequire(import.meta.url).resolve('dcmjs-imaging/build/dcmjs-native-codecs.wasm');
    await imaging.NativePixelDecoder.initializeAsync({ webAssemblyModulePathOrUrl: wasmPath });
  }
}

/** Decodes one compressed grayscale frame to little-endian samples. Call `initializeCodecs` first. */
export function decodeCompressedFrame(codec: FrameCodec, frame: FrameDescription, encoded: Uint8Array): Uint8Array {
  const decoders = imaging.NativePixelDecoder as unknown as NativeFrameDecoders;
  if (!imaging.NativePixelDecoder.isInitialized()) {
    throw new Error('the codecs are not initialised: await initializeCodecs() first');
  }
  return decoders[DECODER_NAMES[codec]](frame, encoded);
}
