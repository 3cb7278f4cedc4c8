import type { SegmentView } from './segment-view.ts';

/** A site-defined segment, kept as received for the message store; the mapper never fails on one. */
export interface ZSegment {
  readonly name: string;
  /** 1-based occurrence among segments of that name. */
  readonly occurrence: number;
  /** The raw segment text (escape sequences not decoded). */
  readonly text: string;
}

export function collectZSegments(segments: readonly SegmentView[]): ZSegment[] {
  return segments
    .filter((segment) => segment.name.startsWith('Z'))
    .map((segment) => ({ name: segment.name, occurrence: segment.occurrence, text: segment.toString() }));
}
