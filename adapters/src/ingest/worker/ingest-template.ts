/**
 * Ingest of `sql` (one legacy database row) and `webhook` (one pushed body) messages: the source's
 * mapping template turns the row/body into a transaction of conditional writes, written to the hub
 * as one transaction; the message store records received → mapped → stored, or error with the reason.
 * Why a replay is harmless: the writes are conditional on business identifiers and the Provenance
 * on the message id; a message already stored is skipped by its envelope id unless it is a replay.
 */
import type { Envelope } from '@simpul/infra';
import { writtenResources } from './written-resources.ts';
import type { Bundle } from '@medplum/fhirtypes';
import type { CodeTranslator, UnmappedCode } from '../hl7/index.ts';
import { MappingTemplateError, XmlBodyError, mapWithTemplate, parseXmlBody, type CompiledTemplate, type TemplateMappingResult } from '../../mapping/index.ts';
import { HubRequestError, type HubClient } from './hub-client.ts';

export type TemplateKind = 'sql' | 'webhook';

/** Compiled templates per kind and source name (`sql.sources[].mapping`, `webhook.sources[].mapping`). */
export type TemplateSources = Partial<Record<TemplateKind, Record<string, CompiledTemplate>>>;

export type TemplateIngestResult =
  | { status: 'stored'; resources: string[]; unmappedCodes: UnmappedCode[] }
  | { status: 'already-stored'; resources: string[] }
  | { status: 'rejected'; error: string };

export interface TemplateIngestDeps {
  hub: HubClient;
  translator: CodeTranslator;
  templates: TemplateSources;
}

export function isTemplateKind(kind: string): kind is TemplateKind {
  return kind === 'sql' || kind === 'webhook';
}

/** Updates of one row (or posts with one idempotency key) are applied in arrival order. */
export function templateOrderingKey(envelope: Envelope): string {
  return `${envelope.kind}:${envelope.source}:${envelope.headers?.rowKey ?? envelope.id}`;
}

/** Throws only for faults worth retrying (hub unreachable, a conflict); a bad row is recorded and dropped. */
export async function applyTemplateMessage(envelope: Envelope, deps: TemplateIngestDeps): Promise<TemplateIngestResult> {
  const kind = envelope.kind as TemplateKind;
  const replay = envelope.headers?.replay === 'true';
  const rowKey = envelope.headers?.rowKey ?? envelope.id;
  const raw = typeof envelope.body === 'string' ? envelope.body : JSON.stringify(envelope.body);
  const template = deps.templates[kind]?.[envelope.source];

  let mapping: TemplateMappingResult | undefined;
  let failure: string | undefined;
  if (!template) {
    failure = `no mapping template is configured for ${kind} source "${envelope.source}" (${kind}.sources[].mapping)`;
  } else {
    try {
      mapping = await mapWithTemplate(template, inputOf(envelope), {
        kind,
        source: envelope.source,
        messageId: envelope.id,
        receivedAt: envelope.receivedAt,
        rowKey,
        translator: deps.translator,
      });
    } catch (err) {
      if (!(err instanceof MappingTemplateError || err instanceof XmlBodyError)) throw err;
      failure = err.message;
    }
  }

  const received = await deps.hub.recordReceived(envelope.id, {
    kind,
    source: envelope.source,
    messageType: mapping?.messageType ?? envelope.headers?.messageType ?? `${kind}.${envelope.source}`,
    controlId: rowKey,
    contentType: envelope.contentType,
    raw,
    receivedAt: envelope.receivedAt,
    traceId: envelope.traceId,
    patientIds: mapping?.patientKey ? [mapping.patientKey] : [],
  });
  if (!replay && !received.firstSeen && received.message.status === 'stored') {
    return { status: 'already-stored', resources: received.message.resources };
  }
  if (!mapping) {
    const error = failure ?? 'the message could not be mapped';
    await deps.hub.recordOutcome(envelope.id, { status: 'error', error });
    return { status: 'rejected', error };
  }
  await deps.hub.recordOutcome(envelope.id, {
    status: 'mapped',
    ...(mapping.messageType ? { messageType: mapping.messageType } : {}),
    ...(mapping.patientKey ? { patientIds: [mapping.patientKey] } : {}),
  });
  let response: Bundle;
  try {
    response = await deps.hub.transaction(mapping.bundle);
  } catch (err) {
    if (err instanceof HubRequestError && err.permanent) {
      const error = `the hub refused the mapped transaction of row key ${rowKey}: ${err.message}`;
      await deps.hub.recordOutcome(envelope.id, { status: 'error', error });
      return { status: 'rejected', error };
    }
    throw err;
  }
  const resources = writtenResources(response);
  await deps.hub.recordOutcome(envelope.id, { status: 'stored', resources });
  return { status: 'stored', resources, unmappedCodes: mapping.unmappedCodes };
}

/** SQL rows and JSON bodies arrive as objects; XML bodies as text, parsed here as the edge did. */
function inputOf(envelope: Envelope): unknown {
  if (typeof envelope.body === 'string' && /xml/i.test(envelope.contentType)) return parseXmlBody(envelope.body);
  return envelope.body;
}
