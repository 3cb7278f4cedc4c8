import type { Envelope } from '@simpul/infra';
import { writtenResources } from './written-resources.ts';
import type { Bundle } from '@medplum/fhirtypes';
import { MappingError, mapHl7Message, type CodeTranslator, type Hl7SourceMapping, type MappingResult } from '../hl7/index.ts';
import { HubRequestError, type HubClient } from './hub-client.ts';
import { linkStudiesToOrder, ordersWritten } from './link-orders.ts';
import { preserveExistingPatientData } from './patient-merge.ts';

export interface Hl7IngestDeps {
  hub: HubClient;
  /** The mapping config of a source (bus routing key `hl7.<source>`), undefined when none is configured. */
  sourceMapping: (source: string) => Hl7SourceMapping | undefined;
  translator: CodeTranslator;
  /** A resent MSH-10 from the same source inside this window is not processed again. */
  duplicateWindowMs: number;
}

export type IngestResult =
  | { status: 'stored'; resources: string[]; mapping: MappingResult }
  | { status: 'duplicate' | 'already-stored'; resources: string[] }
  | { status: 'rejected'; error: string };

/** What the worker can know about a message before mapping it: enough to order and to record it. */
export interface PreparedHl7 {
  envelope: Envelope<string>;
  mapping?: MappingResult;
  mappingError?: MappingError;
  /** Messages with the same key are applied one after another, in arrival order. */
  orderingKey: string;
}

/** Maps the message (pure and synchronous, so the ordering key is known before any await). */
export function prepareHl7(envelope: Envelope<string>, deps: Pick<Hl7IngestDeps, 'sourceMapping' | 'translator'>): PreparedHl7 {
  const source = deps.sourceMapping(envelope.source);
  if (!source) {
    return {
      envelope,
      orderingKey: `message:${envelope.id}`,
      mappingError: new MappingError({ field: 'MSH-4', reason: `no mapping is configured for source "${envelope.source}" (ingest.hl7Sources)` }),
    };
  }
  try {
    const mapping = mapHl7Message(String(envelope.body), {
      source,
      translator: deps.translator,
      messageId: envelope.id,
      receivedAt: envelope.receivedAt,
      sender: envelope.source,
    });
    return { envelope, mapping, orderingKey: `patient:${mapping.patientKey}` };
  } catch (err) {
    if (err instanceof MappingError) return { envelope, mappingError: err, orderingKey: `message:${envelope.id}` };
    throw err;
  }
}

/**
 * Applies one HL7 message to the hub, recording each step in the message store:
 * received → mapped → stored, or error with the reason. Idempotent on the envelope id: a message
 * already stored is skipped unless it is a replay (header `replay: true`), and a replay rewrites the
 * same conditional URLs, so it updates rather than duplicates. Throws only for faults worth
 * retrying (the hub is unreachable, a concurrent change); a bad message is recorded and dropped.
 */
export async function applyHl7(prepared: PreparedHl7, deps: Hl7IngestDeps): Promise<IngestResult> {
  const { envelope, mapping } = prepared;
  const replay = envelope.headers?.replay === 'true';
  const received = await deps.hub.recordReceived(envelope.id, {
    kind: 'hl7',
    source: envelope.source,
    messageType: mapping?.messageType ?? envelope.headers?.messageType,
    controlId: mapping?.controlId ?? envelope.headers?.controlId,
    contentType: envelope.contentType,
    raw: String(envelope.body),
    receivedAt: envelope.receivedAt,
    traceId: envelope.traceId,
    patientIds: mapping ? [mapping.patientKey] : [],
    duplicateWindowMs: replay ? undefined : deps.duplicateWindowMs,
  });
  if (!replay && !received.firstSeen && received.message.status === 'stored') {
    return { status: 'already-stored', resources: received.message.resources };
  }
  if (!replay && received.duplicateOf) {
    // The sender resent a message it had already delivered: acknowledge it, apply nothing twice.
    await deps.hub.recordOutcome(envelope.id, { status: 'stored', resources: received.duplicateOf.resources });
    return { status: 'duplicate', resources: received.duplicateOf.resources };
  }
  if (!mapping) {
    const error = describeMappingError(prepared.mappingError);
    await deps.hub.recordOutcome(envelope.id, { status: 'error', error });
    return { status: 'rejected', error };
  }
  await deps.hub.recordOutcome(envelope.id, { status: 'mapped', messageType: mapping.messageType, patientIds: [mapping.patientKey] });
  let response: Bundle;
  let sent: Bundle;
  try {
    sent = await preserveExistingPatientData(mapping.bundle, deps.hub);
    response = await deps.hub.transaction(sent);
  } catch (err) {
    if (err instanceof HubRequestError && err.permanent) {
      const error = `the hub refused the mapped transaction: ${err.message}`;
      await deps.hub.recordOutcome(envelope.id, { status: 'error', error });
      return { status: 'rejected', error };
    }
    throw err;
  }
  const resources = writtenResources(response);
  if (/^(ORM|OMI)\^/.test(mapping.messageType)) {
    // Images that arrived before their order are linked to it now (before "stored", so a failure is retried).
    for (const order of ordersWritten(sent, response)) await linkStudiesToOrder(deps.hub, order);
  }
  await deps.hub.recordOutcome(envelope.id, { status: 'stored', resources });
  return { status: 'stored', resources, mapping };
}

function describeMappingError(error: MappingError | undefined): string {
  return error?.message ?? 'the message could not be mapped';
}
