import type { Task } from '@medplum/fhirtypes';
import { DELIVERY_ATTEMPTS_EXTENSION_URL, DELIVERY_OUTPUT_SYSTEM, DELIVERY_STATES, DELIVERY_STATUS_SYSTEM, type DeliveryState } from './fhir-names.ts';

export interface DeliveryRow {
  taskId?: string;
  destination: string;
  destinationType?: string;
  state: DeliveryState | 'unknown';
  summary?: string;
  error?: string;
  attempts: number;
  deliveredInstances: number;
  remoteIds: { name: string; id: string }[];
  warnings: string[];
  updatedAt?: string;
  startedAt?: string;
  endedAt?: string;
}

export interface TimelineEntry {
  at?: string;
  state: DeliveryState | 'unknown';
  summary?: string;
  error?: string;
  attempts: number;
}

function inputString(task: Task, name: string): string | undefined {
  return task.input?.find((input) => input.type?.text === name)?.valueString;
}

export function deliveryState(task: Task): DeliveryState | 'unknown' {
  const code = task.businessStatus?.coding?.find((coding) => coding.system === DELIVERY_STATUS_SYSTEM)?.code;
  if (code && (DELIVERY_STATES as readonly string[]).includes(code)) return code as DeliveryState;
  switch (task.status) {
    case 'requested':
      return 'waiting-stable';
    case 'in-progress':
      return 'sending';
    case 'completed':
      return 'delivered';
    case 'failed':
      return 'failed';
    default:
      return 'unknown';
  }
}

export function deliveryRow(task: Task): DeliveryRow {
  const outputs = task.output ?? [];
  const code = (index: number): string | undefined => outputs[index].type?.coding?.find((coding) => coding.system === DELIVERY_OUTPUT_SYSTEM)?.code;
  return {
    taskId: task.id,
    destination: inputString(task, 'destination') ?? task.owner?.display ?? 'unknown destination',
    destinationType: inputString(task, 'destination-type'),
    state: deliveryState(task),
    summary: task.businessStatus?.text,
    error: task.statusReason?.text,
    attempts: task.extension?.find((extension) => extension.url === DELIVERY_ATTEMPTS_EXTENSION_URL)?.valueInteger ?? 0,
    deliveredInstances: outputs.filter((_, i) => code(i) === 'delivered-instance').length,
    remoteIds: outputs.flatMap((output, i) => (code(i) === 'remote-id' && output.valueString ? [{ name: output.type?.text ?? 'id', id: output.valueString }] : [])),
    warnings: outputs.flatMap((output, i) => (code(i) === 'warning' && output.valueString ? [output.valueString] : [])),
    updatedAt: task.lastModified ?? task.meta?.lastUpdated,
    startedAt: task.executionPeriod?.start,
    endedAt: task.executionPeriod?.end,
  };
}

/** One row per destination, alphabetical. */
export function deliveryRows(tasks: readonly Task[]): DeliveryRow[] {
  return tasks.map(deliveryRow).sort((a, b) => a.destination.localeCompare(b.destination));
}

/** The Task's versions (history, any order) as state changes, oldest first; repeats of one state and summary are folded. */
export function timelineOf(versions: readonly Task[]): TimelineEntry[] {
  const ordered = [...versions].sort((a, b) => (a.meta?.lastUpdated ?? '').localeCompare(b.meta?.lastUpdated ?? ''));
  const entries: TimelineEntry[] = [];
  for (const version of ordered) {
    const row = deliveryRow(version);
    const previous = entries.at(-1);
    if (previous && previous.state === row.state && previous.summary === row.summary && previous.attempts === row.attempts) continue;
    entries.push({ at: version.lastModified ?? version.meta?.lastUpdated, state: row.state, summary: row.summary, error: row.error, attempts: row.attempts });
  }
  return entries;
}

/** The worst state among a study's deliveries, for the worklist column. */
export function overallState(rows: readonly DeliveryRow[]): DeliveryState | 'none' | 'unknown' {
  if (rows.length === 0) return 'none';
  const order: (DeliveryState | 'unknown')[] = ['failed', 'retrying', 'sending', 'waiting-stable', 'unknown', 'delivered'];
  return order.find((state) => rows.some((row) => row.state === state)) ?? 'unknown';
}

export const STATE_LABEL: Readonly<Record<DeliveryState | 'none' | 'unknown', string>> = {
  'waiting-stable': 'Waiting for study',
  sending: 'Sending',
  retrying: 'Retrying',
  delivered: 'Delivered',
  failed: 'Failed',
  none: 'Not routed',
  unknown: 'Unknown',
};

export const STATE_COLOR: Readonly<Record<DeliveryState | 'none' | 'unknown', string>> = {
  'waiting-stable': 'gray',
  sending: 'blue',
  retrying: 'orange',
  delivered: 'green',
  failed: 'red',
  none: 'gray',
  unknown: 'gray',
};
