import type { AuditEvent, AuditEventAgent, AuditEventEntity, Bot, Reference } from '@medplum/fhirtypes';

/**
 * One AuditEvent per delivery attempt (DESIGN.md: outbound deliveries are audited): who delivered
 * (the bot, or the rest-hook deliverer and the endpoint it called), what (the resource version and
 * the Subscription), the outcome, and the error text when it failed. Find a Subscription's
 * deliveries with `AuditEvent?entity=Subscription/<id>`, a resource's with `entity=Patient/<id>`.
 */
export type AttemptOutcome =
  /** Delivered. */
  | 'success'
  /** Failed; the bus will try again. */
  | 'retrying'
  /** Failed for the last time (or permanently); the delivery is in the dead-letter queue. */
  | 'dead-lettered'
  /** Not delivered on purpose (the Subscription is off or gone). */
  | 'skipped';

export interface DeliveryAttempt {
  destination: { kind: 'bot'; name: string; bot: Reference<Bot> } | { kind: 'rest-hook'; endpoint: string };
  subscription: string;
  /** `Patient/123`, when known. */
  resource?: string;
  versionId: string;
  interaction: string;
  idempotencyKey: string;
  traceId: string;
  attempt: number;
  maxAttempts: number;
  outcome: AttemptOutcome;
  /** Error text for failures, a short note otherwise. */
  detail?: string;
  start: Date;
  end: Date;
}

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const OUTCOME_CODES: Record<AttemptOutcome, AuditEvent['outcome']> = { success: '0', skipped: '0', retrying: '4', 'dead-lettered': '8' };
const MAX_TEXT = 1000;

export function buildDeliveryAuditEvent(attempt: DeliveryAttempt): AuditEvent {
  const isBot = attempt.destination.kind === 'bot';
  const detail = attempt.detail ? fhirString(attempt.detail) : undefined;
  return {
    resourceType: 'AuditEvent',
    type: isBot ? { system: DCM, code: '110100', display: 'Application Activity' } : { system: DCM, code: '110106', display: 'Export' },
    subtype: [{ system: 'https://simpul.dev/fhir/CodeSystem/delivery-kind', code: attempt.destination.kind }],
    action: 'E',
    period: { start: attempt.start.toISOString(), end: attempt.end.toISOString() },
    recorded: attempt.end.toISOString(),
    outcome: OUTCOME_CODES[attempt.outcome],
    ...(detail ? { outcomeDesc: detail } : undefined),
    agent: [agent(attempt)],
    source: {
      observer: { display: 'Simpul bot runtime' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity: entities(attempt),
  };
}

function agent(attempt: DeliveryAttempt): AuditEventAgent {
  const destination = attempt.destination;
  if (destination.kind === 'bot') return { who: destination.bot, requestor: true };
  return {
    who: { display: 'Simpul rest-hook deliverer' },
    requestor: true,
    network: { address: fhirString(endpointForAudit(destination.endpoint)), type: '5' },
  };
}

function entities(attempt: DeliveryAttempt): AuditEventEntity[] {
  const systemObject = { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' };
  const list: AuditEventEntity[] = [];
  if (attempt.resource) list.push({ what: { reference: attempt.resource }, type: systemObject, detail: [{ type: 'versionId', valueString: attempt.versionId || '-' }] });
  list.push({ what: { reference: attempt.subscription }, type: systemObject });
  list.push({
    what: { display: `delivery ${attempt.idempotencyKey}` },
    detail: [
      { type: 'idempotency-key', valueString: attempt.idempotencyKey },
      { type: 'attempt', valueString: `${attempt.attempt} of ${attempt.maxAttempts}` },
      { type: 'outcome', valueString: attempt.outcome },
      { type: 'interaction', valueString: attempt.interaction },
      { type: 'trace-id', valueString: fhirString(attempt.traceId) },
    ],
  });
  return list;
}

/** An endpoint as it may be stored: without credentials or query string (they may hold tokens). */
export function endpointForAudit(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

/** Text a FHIR string accepts: no control characters but tab and newline, trimmed, at most 1000 characters. */
export function fhirString(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, ' ').trim();
  const capped = clean.length > MAX_TEXT ? `${clean.slice(0, MAX_TEXT - 1)}…` : clean;
  return capped || '-';
}
