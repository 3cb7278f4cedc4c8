import type { SegmentView } from './segment-view.ts';

/** One patient of a message: PID, its visit, and the segments up to the next PID. */
export interface PatientGroup {
  readonly pid: SegmentView;
  readonly pv1?: SegmentView;
  readonly pv2?: SegmentView;
  readonly segments: readonly SegmentView[];
}

/** An OBX and the NTE segments that follow it. */
export interface ObservationGroup {
  readonly obx: SegmentView;
  readonly notes: SegmentView[];
}

/**
 * One order: ORC and/or OBR with their timing (TQ1), notes (NTE before the first OBX), imaging
 * procedure control (IPC) and observations (OBX + NTE). `segments` is everything in the group,
 * for configurable field references such as the accession number's.
 */
export interface OrderGroup {
  readonly orc?: SegmentView;
  obr?: SegmentView;
  readonly timing: SegmentView[];
  readonly notes: SegmentView[];
  readonly imaging: SegmentView[];
  readonly observations: ObservationGroup[];
  readonly segments: SegmentView[];
}

/** Splits a message into patient groups at each PID. */
export function patientGroups(segments: readonly SegmentView[]): PatientGroup[] {
  const groups: { pid: SegmentView; segments: SegmentView[] }[] = [];
  for (const segment of segments) {
    if (segment.name === 'PID') {
      groups.push({ pid: segment, segments: [] });
    } else if (groups.length > 0) {
      groups[groups.length - 1].segments.push(segment);
    }
  }
  return groups.map((group) => {
    const untilOrder = group.segments.slice(0, firstOrderIndex(group.segments));
    return {
      pid: group.pid,
      pv1: untilOrder.find((segment) => segment.name === 'PV1'),
      pv2: untilOrder.find((segment) => segment.name === 'PV2'),
      segments: group.segments,
    };
  });
}

function firstOrderIndex(segments: readonly SegmentView[]): number {
  const index = segments.findIndex((segment) => segment.name === 'ORC' || segment.name === 'OBR');
  return index === -1 ? segments.length : index;
}

/**
 * Splits a patient's segments into orders. An ORC starts an order; an OBR joins the ORC before it
 * unless that order already has an OBR, in which case it starts a new order under the same ORC
 * (senders that send one ORC for several OBRs).
 */
export function orderGroups(segments: readonly SegmentView[]): OrderGroup[] {
  const groups: OrderGroup[] = [];
  let current: OrderGroup | undefined;
  const start = (orc: SegmentView | undefined): OrderGroup => {
    const group: OrderGroup = { orc, timing: [], notes: [], imaging: [], observations: [], segments: orc ? [orc] : [] };
    groups.push(group);
    return group;
  };
  for (const segment of segments) {
    if (segment.name === 'ORC') {
      current = start(segment);
      continue;
    }
    if (segment.name === 'OBR') {
      if (!current || current.obr) {
        current = start(current?.orc);
      }
      current.obr = segment;
      current.segments.push(segment);
      continue;
    }
    if (!current) {
      continue;
    }
    current.segments.push(segment);
    const lastObservation = current.observations[current.observations.length - 1];
    switch (segment.name) {
      case 'TQ1':
        current.timing.push(segment);
        break;
      case 'IPC':
        current.imaging.push(segment);
        break;
      case 'OBX':
        current.observations.push({ obx: segment, notes: [] });
        break;
      case 'NTE':
        (lastObservation ? lastObservation.notes : current.notes).push(segment);
        break;
    }
  }
  return groups;
}

/** NTE-3 comment lines as one text (repetitions are lines). */
export function noteText(notes: readonly SegmentView[]): string {
  return notes
    .flatMap((nte) => nte.lines(3))
    .join('\n')
    .trim();
}
