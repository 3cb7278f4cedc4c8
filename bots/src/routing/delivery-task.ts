/**
 * Per-destination delivery status, kept in the hub as a FHIR `Task` so the viewer and partners can
 * read it with plain FHIR search (`Task?focus=ImagingStudy/<id>&code=<system>|deliver`):
 *
 * - one Task per (destination, resource): identifier `<DELIVERY_TASK_SYSTEM>|<destination>/<Type>/<id>`
 * - `status`: `requested` (waiting for the study to be stable), `in-progress` (sending or retrying),
 *   `completed`, `failed` (dead-lettered; a replay moves it on again)
 * - `businessStatus`: a `delivery-status` code (waiting-stable, sending, retrying, delivered, failed)
 *   with the last one-line summary as text
 * - `statusReason.text`: the last error; extension `delivery-attempts`: attempts so far
 * - `output`: the destination's ids (`remote-id`, type text = what it names), the instances it accepted
 *   (`delivered-instance`, valueOid), warnings; this is what a resumed delivery reads to send only
 *   what is missing
 */
import { getStatus, isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { MedplumClient } from '@medplum/core';
import type { Extension, Task, TaskOutput } from '@medplum/fhirtypes';
import type { DeliveryProgress, ProgressUpdate, RoutedResource } from './destination-driver.ts';

export const DELIVERY_TASK_SYSTEM = 'https://simpul.dev/fhir/NamingSystem/delivery';
export const TASK_CODE_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/task-code';
export const DELIVER_TASK_CODE = 'deliver';
export const DELIVERY_STATUS_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/delivery-status';
export const DELIVERY_OUTPUT_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/delivery-output';
export const DELIVERY_ATTEMPTS_EXTENSION_URL = 'https://simpul.dev/fhir/StructureDefinition/delivery-attempts';
export const DELIVERED_VERSION_EXTENSION_URL = 'https://simpul.dev/fhir/StructureDefinition/delivered-version';

export type DeliveryState = 'waiting-stable' | 'sending' | 'retrying' | 'delivered' | 'failed';

const TASK_STATUS: Readonly<Record<DeliveryState, Task['status']>> = {
  'waiting-stable': 'requested',
  sending: 'in-progress',
  retrying: 'in-progress',
  delivered: 'completed',
  failed: 'failed',
};

const MAX_WRITE_RACES = 5;

export interface DeliveryTaskTarget {
  readonly destinationName: string;
  readonly destinationType: string;
  readonly resource: RoutedResource;
}

export function deliveryTaskIdentifierValue(destinationName: string, resource: { resourceType: string; id?: string }): string {
  return `${destinationName}/${resource.resourceType}/${resource.id}`;
}

/** The delivery Task of one destination and resource; created on first use, every change a conditional update. */
export class DeliveryTask {
  readonly #medplum: MedplumClient;
  readonly #target: DeliveryTaskTarget;
  #task: Task | undefined;

  constructor(medplum: MedplumClient, target: DeliveryTaskTarget) {
    this.#medplum = medplum;
    this.#target = target;
  }

  get task(): Task | undefined {
    return this.#task;
  }

  /** Finds or creates the Task (a conditional create, so two runtimes make one). */
  async open(): Promise<Task> {
    const { destinationName, destinationType, resource } = this.#target;
    const value = deliveryTaskIdentifierValue(destinationName, resource);
    const fresh: Task = {
      resourceType: 'Task',
      status: 'requested',
      intent: 'order',
      identifier: [{ system: DELIVERY_TASK_SYSTEM, value }],
      code: { coding: [{ system: TASK_CODE_SYSTEM, code: DELIVER_TASK_CODE, display: 'Deliver to a destination' }] },
      description: `Deliver ${resource.resourceType}/${resource.id} to ${destinationName} (${destinationType})`,
      focus: { reference: `${resource.resourceType}/${resource.id}` },
      for: resource.subject?.reference ? { reference: resource.subject.reference } : undefined,
      owner: { display: destinationName },
      input: [
        { type: { text: 'destination' }, valueString: destinationName },
        { type: { text: 'destination-type' }, valueString: destinationType },
      ],
      authoredOn: new Date().toISOString(),
    };
    this.#task = await this.#medplum.createResourceIfNoneExist(fresh, `identifier=${encodeURIComponent(`${DELIVERY_TASK_SYSTEM}|${value}`)}`);
    return this.#task;
  }

  progress(): DeliveryProgress {
    const outputs = this.#task?.output ?? [];
    const delivered = new Set<string>();
    const remoteIds: Record<string, string> = {};
    for (const output of outputs) {
      const code = output.type?.coding?.find((coding) => coding.system === DELIVERY_OUTPUT_SYSTEM)?.code;
      if (code === 'delivered-instance' && output.valueOid) delivered.add(output.valueOid.replace(/^urn:oid:/, ''));
      if (code === 'remote-id' && output.type?.text && output.valueString) remoteIds[output.type.text] = output.valueString;
    }
    return { deliveredInstances: delivered, remoteIds };
  }

  attempts(): number {
    return this.#task?.extension?.find((extension) => extension.url === DELIVERY_ATTEMPTS_EXTENSION_URL)?.valueInteger ?? 0;
  }

  /** Records progress: instances accepted, ids given, warnings; merged with what is there. */
  recordProgress(update: ProgressUpdate): Promise<Task> {
    return this.#change((task) => ({ ...task, output: mergeOutputs(task.output ?? [], update) }));
  }

  /** Moves the Task to `state` with a one-line summary; `error` becomes `statusReason`, `attempt` the attempt count. */
  setState(state: DeliveryState, summary: string, details: { attempt?: number; error?: string; versionId?: string; update?: ProgressUpdate } = {}): Promise<Task> {
    return this.#change((task) => {
      const extension = (task.extension ?? []).filter(
        (item) => item.url !== DELIVERY_ATTEMPTS_EXTENSION_URL && (details.versionId === undefined || item.url !== DELIVERED_VERSION_EXTENSION_URL),
      );
      const added: Extension[] = [];
      if (details.attempt !== undefined) added.push({ url: DELIVERY_ATTEMPTS_EXTENSION_URL, valueInteger: details.attempt });
      else {
        const previous = task.extension?.find((item) => item.url === DELIVERY_ATTEMPTS_EXTENSION_URL);
        if (previous) added.push(previous);
      }
      if (details.versionId !== undefined) added.push({ url: DELIVERED_VERSION_EXTENSION_URL, valueString: details.versionId });
      const next: Task = {
        ...task,
        status: TASK_STATUS[state],
        businessStatus: { coding: [{ system: DELIVERY_STATUS_SYSTEM, code: state }], text: summary.slice(0, 1000) },
        statusReason: details.error !== undefined ? { text: details.error.slice(0, 4000) } : state === 'delivered' ? undefined : task.statusReason,
        lastModified: new Date().toISOString(),
        extension: [...extension, ...added],
        output: details.update ? mergeOutputs(task.output ?? [], details.update) : task.output,
      };
      if (state === 'delivered' || state === 'failed') next.executionPeriod = { ...task.executionPeriod, end: next.lastModified };
      if (state === 'sending' && !task.executionPeriod?.start) next.executionPeriod = { start: next.lastModified };
      return next;
    });
  }

  /** Read-modify-write with If-Match; another writer in between (a second runtime) means read again and redo. */
  async #change(change: (task: Task) => Task): Promise<Task> {
    let current = this.#task ?? (await this.open());
    for (let race = 1; ; race++) {
      const next = change(current);
      try {
        this.#task = await this.#medplum.updateResource(next, { headers: { 'If-Match': `W/"${current.meta?.versionId}"` } });
        return this.#task;
      } catch (error) {
        const preconditionFailed = error instanceof OperationOutcomeError && isOperationOutcome(error.outcome) && getStatus(error.outcome) === 412;
        if (!preconditionFailed || race >= MAX_WRITE_RACES) throw error;
        current = await this.#medplum.readResource('Task', current.id as string);
      }
    }
  }
}

function outputCode(output: TaskOutput): string | undefined {
  return output.type?.coding?.find((coding) => coding.system === DELIVERY_OUTPUT_SYSTEM)?.code;
}

function mergeOutputs(outputs: readonly TaskOutput[], update: ProgressUpdate): TaskOutput[] {
  const merged = [...outputs];
  const delivered = new Set(merged.filter((output) => outputCode(output) === 'delivered-instance').map((output) => output.valueOid));
  for (const uid of update.deliveredInstances ?? []) {
    const oid = `urn:oid:${uid}`;
    if (delivered.has(oid)) continue;
    delivered.add(oid);
    merged.push({ type: { coding: [{ system: DELIVERY_OUTPUT_SYSTEM, code: 'delivered-instance' }] }, valueOid: oid });
  }
  for (const [name, id] of Object.entries(update.remoteIds ?? {})) {
    const index = merged.findIndex((output) => outputCode(output) === 'remote-id' && output.type?.text === name);
    const entry: TaskOutput = { type: { coding: [{ system: DELIVERY_OUTPUT_SYSTEM, code: 'remote-id' }], text: name }, valueString: id };
    if (index >= 0) merged[index] = entry;
    else merged.push(entry);
  }
  const warnings = new Set(merged.filter((output) => outputCode(output) === 'warning').map((output) => output.valueString));
  for (const warning of update.warnings ?? []) {
    if (warnings.has(warning)) continue;
    warnings.add(warning);
    merged.push({ type: { coding: [{ system: DELIVERY_OUTPUT_SYSTEM, code: 'warning' }] }, valueString: warning.slice(0, 1000) });
  }
  return merged;
}
