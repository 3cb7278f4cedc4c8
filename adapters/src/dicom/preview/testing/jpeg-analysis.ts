import sharp from 'sharp';

/** A decoded JPEG with the measures the preview tests assert on. */
export interface DecodedJpeg {
  readonly width: number;
  readonly height: number;
  /** Channels of the JPEG itself (1 for grayscale, 3 for colour). */
  readonly channels: number;
  /** Mean of channel `channel` over the columns in [from, to) (fractions of the width). */
  columnBandMean(from: number, to: number, channel?: number): number;
  /** Mean of channel `channel` over the rows in [from, to) (fractions of the height). */
  rowBandMean(from: number, to: number, channel?: number): number;
  mean(channel?: number): number;
  standardDeviation(channel?: number): number;
  /** Value of channel 0 at (x, y). */
  at(x: number, y: number): number;
}

export async function decodeJpeg(jpeg: Buffer): Promise<DecodedJpeg> {
  const metadata = await sharp(jpeg).metadata();
  if (metadata.format !== 'jpeg') {
    throw new Error(`expected a JPEG, sharp reads ${metadata.format}`);
  }
  // sharp hands grayscale back as three equal channels; `stride` is what the raw buffer has.
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels: stride } = info;
  const region = (x0: number, x1: number, y0: number, y1: number, channel: number) => {
    let sum = 0;
    let count = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        sum += data[(y * width + x) * stride + channel];
        count++;
      }
    }
    return sum / count;
  };
  const span = (size: number, from: number, to: number) => [Math.floor(size * from), Math.max(Math.floor(size * from) + 1, Math.floor(size * to))];
  return {
    width,
    height,
    channels: metadata.channels ?? stride,
    columnBandMean: (from, to, channel = 0) => {
      const [x0, x1] = span(width, from, to);
      return region(x0, x1, 0, height, channel);
    },
    rowBandMean: (from, to, channel = 0) => {
      const [y0, y1] = span(height, from, to);
      return region(0, width, y0, y1, channel);
    },
    mean: (channel = 0) => region(0, width, 0, height, channel),
    standardDeviation: (channel = 0) => {
      const mean = region(0, width, 0, height, channel);
      let sum = 0;
      for (let i = channel; i < data.length; i += stride) {
        sum += (data[i] - mean) ** 2;
      }
      return Math.sqrt(sum / (width * height));
    },
    at: (x, y) => data[(y * width + x) * stride],
  };
}
