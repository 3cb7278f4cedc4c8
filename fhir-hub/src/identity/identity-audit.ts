import type { AuditEvent, AuditEventEntity } from '@medplum/fhirtypes';

export const IDENTITY_EVENT_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/identity-event';

export interface IdentityAuditRecord {
  action: 'merge' | 'unmerge' | 'link' | 'decision';
  source: string;
  target: string;
  origin: string;
  taskId?: string;
  actor?: string;
  decision?: string;
}

/**
 * An AuditEvent per identity change: type DICOM 110110 "Patient Record", subtype the identity action
 * (merge, unmerge, link, decision), both Patients (and the review Task) as entities, and what caused it
 * (`api`, `review`, `auto-link`, `client-write` for an HL7 A40 or a hand-edited link) in outcomeDesc.
 */
export function buildIdentityAuditEvent(record: IdentityAuditRecord, recorded: string): AuditEvent {
  const entity: AuditEventEntity[] = [
    { what: { reference: `Patient/${record.source}` }, role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' }, description: 'source' },
    { what: { reference: `Patient/${record.target}` }, role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' }, description: 'target' },
  ];
  if (record.taskId) entity.push({ what: { reference: `Task/${record.taskId}` }, description: 'review task' });
  return {
    resourceType: 'AuditEvent',
    type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110', display: 'Patient Record' },
    subtype: [{ system: IDENTITY_EVENT_SYSTEM, code: record.action }],
    action: 'U',
    recorded,
    outcome: '0',
    outcomeDesc: `${record.action} Patient/${record.source} → Patient/${record.target} (${record.origin}${record.decision ? `, decision ${record.decision}` : ''})`,
    agent: [
      {
        requestor: record.origin === 'api' || record.origin === 'review' || record.origin === 'client-write',
        who: { display: record.actor ?? (record.origin === 'auto-link' || record.origin === 'rebuild' ? 'Simpul identity matcher' : 'FHIR client') },
      },
    ],
    source: {
      observer: { display: 'Simpul FHIR hub (identity)' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity,
  };
}
