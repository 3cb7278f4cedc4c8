import type { NaturalizedDataset } from 'dcmjs';
import imaging from 'dcmjs-imaging';
import { EXPLICIT_VR_LITTLE_ENDIAN } from '../data/transfer-syntaxes.ts';
import type { FrameSource } from './frame-source.ts';
import type { PixelModule } from './pixel-module.ts';
import { PreviewError } from './preview-error.ts';

/**
 * Renders a colour frame (RGB, the YBR family, PALETTE COLOR) with dcmjs-imaging, which does colour
 * right: YBR → RGB, planar → interleaved, palette lookup, and the colour transforms of JPEG and JPEG 2000.
 * It is handed a one-frame image built from the frame we picked, which also spares it multi-fragment
 * frames (it cannot group those itself).
 */
export function renderColourFrame(dataset: NaturalizedDataset, module: PixelModule, frame: FrameSource): Uint8Array {
  const singleFrame: NaturalizedDataset = {
    ...dataset,
    NumberOfFrames: 1,
    ...(frame.kind === 'native' ? { PlanarConfiguration: frame.planar ? 1 : 0 } : {}),
    PixelData: [frame.kind === 'native' ? frame.bytes.slice().buffer : frame.encoded.slice().buffer],
  };
  // Native frames are already in little-endian order, whatever the file's syntax was.
  const syntax = frame.kind === 'native' ? EXPLICIT_VR_LITTLE_ENDIAN : module.transferSyntax.uid;
  let rendered: { width: number; height: number; pixels: ArrayBuffer };
  try {
    rendered = new imaging.DicomImage(singleFrame, syntax).render({ frame: 0, renderOverlays: false });
  } catch (error) {
    const detail = `dcmjs-imaging could not render the ${module.photometricInterpretation} frame: ${(error as Error).message}`;
    throw new PreviewError('decode-failed', detail, { cause: error });
  }
  const rgba = new Uint8Array(rendered.pixels);
  if (rendered.width !== module.columns || rendered.height !== module.rows || rgba.length !== module.rows * module.columns * 4) {
    throw new PreviewError(
      'pixel-data-size-mismatch',
      `the rendered frame is ${rendered.width}×${rendered.height} (${rgba.length} bytes) for Columns ${module.columns} × Rows ${module.rows}`,
    );
  }
  const rgb = new Uint8Array(module.rows * module.columns * 3);
  for (let source = 0, target = 0; source < rgba.length; source += 4) {
    rgb[target++] = rgba[source];
    rgb[target++] = rgba[source + 1];
    rgb[target++] = rgba[source + 2];
  }
  return rgb;
}
