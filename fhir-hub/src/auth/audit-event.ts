/**
 * Builds FHIR AuditEvent resources (who, what, when, outcome) for writes, denied requests and sign-ins.
 * Shaped after the IHE Basic Audit Log Patterns: type `rest` with the RESTful interaction as subtype,
 * or DICOM 110114 User Authentication for sign-ins; the person and the client app are both agents.
 */
import type { AuditEvent, AuditEventAgent, AuditEventEntity } from '@medplum/fhirtypes';
import type { AuthContext, RequestOrigin } from './auth-context.ts';

export type AuditOutcome = 'success' | 'denied' | 'failed';

export interface AuditRecord {
  /** RESTful interaction (create, update, patch, delete, read, search-type, ...) or `login`. */
  interaction: string;
  /** `Patient/123` when the target is known. */
  entity?: string;
  resourceType?: string;
  outcome: AuditOutcome;
  detail?: string;
}

export interface AuditActor {
  auth?: AuthContext;
  /** For sign-ins and token requests before any token exists. */
  username?: string;
  clientId?: string;
}

/** Identifier system for OAuth client ids in AuditEvent agents. */
export const CLIENT_ID_SYSTEM = 'https://simpul.dev/fhir/NamingSystem/oauth-client-id';
const USERNAME_SYSTEM = 'https://simpul.dev/fhir/NamingSystem/username';
const ACTION: Record<string, AuditEvent['action']> = { create: 'C', update: 'U', patch: 'U', delete: 'D', login: 'E' };
const OUTCOME: Record<AuditOutcome, AuditEvent['outcome']> = { success: '0', denied: '4', failed: '8' };

export function buildAuditEvent(record: AuditRecord, actor: AuditActor, origin: RequestOrigin, recorded: string): AuditEvent {
  const isLogin = record.interaction === 'login';
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    type: isLogin
      ? { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114', display: 'User Authentication' }
      : { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [
      isLogin
        ? { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110122', display: 'Login' }
        : { system: 'http://hl7.org/fhir/restful-interaction', code: record.interaction },
    ],
    action: ACTION[record.interaction] ?? (record.interaction === 'read' || record.interaction.startsWith('search') || record.interaction.startsWith('history') ? 'R' : 'E'),
    recorded,
    outcome: OUTCOME[record.outcome],
    ...(record.detail ? { outcomeDesc: record.detail.slice(0, 1000) } : undefined),
    agent: agents(actor, origin),
    source: {
      observer: { display: 'Simpul FHIR hub' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity: entities(record, origin),
  };
  return event;
}

function agents(actor: AuditActor, origin: RequestOrigin): AuditEventAgent[] {
  const network = { address: origin.ip.slice(0, 200), type: '2' as const };
  const auth = actor.auth;
  const clientAgent = (clientId: string, requestor: boolean): AuditEventAgent => ({
    who: { identifier: { system: CLIENT_ID_SYSTEM, value: clientId }, display: `client ${clientId}` },
    requestor,
    ...(requestor ? { network } : undefined),
  });
  if (auth?.kind === 'client') return [clientAgent(auth.clientId, true)];
  if (auth?.kind === 'user') {
    const who: AuditEventAgent['who'] = auth.fhirUser ? { reference: auth.fhirUser } : { display: `user ${auth.subject}` };
    return [{ who, altId: auth.subject, requestor: true, network }, clientAgent(auth.clientId, false)];
  }
  const people: AuditEventAgent[] = [];
  if (actor.username) {
    people.push({ who: { identifier: { system: USERNAME_SYSTEM, value: actor.username.slice(0, 200) } }, requestor: true, network });
  }
  if (actor.clientId) people.push(clientAgent(actor.clientId.slice(0, 200), people.length === 0));
  return people.length ? people : [{ who: { display: 'unauthenticated caller' }, requestor: true, network }];
}

function entities(record: AuditRecord, origin: RequestOrigin): AuditEventEntity[] {
  const list: AuditEventEntity[] = [];
  if (record.entity) {
    list.push({
      what: { reference: record.entity },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
    });
  } else if (record.resourceType) {
    list.push({
      what: { display: record.resourceType },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
    });
  }
  list.push({
    what: { display: `${origin.method} ${origin.path}`.slice(0, 500) },
    detail: [{ type: 'trace-id', valueString: origin.traceId }],
  });
  return list;
}
