import type { Device, Provenance } from '@medplum/fhirtypes';
import type { MappingSession } from './mapping-session.ts';
import { identifierSearch } from './transaction-builder.ts';
import { v2Table } from './v2-code-tables.ts';

/** Identifier systems for what Provenance names: the message store record, the MSH-10 control id, the sender. */
export const MESSAGE_STORE_SYSTEM = 'https://simpul.dev/fhir/id/message-store';
export const CONTROL_ID_SYSTEM = 'https://simpul.dev/fhir/id/hl7v2-control-id';
export const SENDER_SYSTEM = 'https://simpul.dev/fhir/id/hl7v2-sender';

const PARTICIPANT_TYPE = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type';

export interface ProvenanceSource {
  readonly messageId: string;
  readonly sender: string;
  readonly recorded: string;
  /** v2 table 0003 display of the trigger event. */
  readonly eventDisplay: string;
}

/**
 * Ends the transaction with the sending system as a Device (created once) and a Provenance whose
 * target lists every other entry, whose entity names the stored message (message store id, MSH-10
 * control id, sender) and whose activity is the v2 trigger event.
 *
 * The Provenance is a conditional PUT on `entity:identifier=<message store id>`: replaying the
 * message finds and rewrites the same Provenance, so after a mapping fix its target list includes
 * whatever the new mapping writes, and a plain replay leaves it as it was.
 */
export function appendProvenance(session: MappingSession, source: ProvenanceSource): void {
  const { header } = session;
  const device: Device = {
    resourceType: 'Device',
    identifier: [{ system: SENDER_SYSTEM, value: source.sender }],
    status: 'active',
    deviceName: [{ name: [header.sendingApplication, header.sendingFacility].filter(Boolean).join(' / ') || source.sender, type: 'user-friendly-name' }],
  };
  const deviceReference = session.bundle.createIfNoneExist(device, identifierSearch(SENDER_SYSTEM, source.sender));
  const provenance: Provenance = {
    resourceType: 'Provenance',
    target: session.bundle.fullUrls.map((reference) => ({ reference })),
    recorded: source.recorded,
    activity: { coding: [{ system: v2Table('0003'), code: header.triggerEvent, display: source.eventDisplay }] },
    agent: [
      {
        type: { coding: [{ system: PARTICIPANT_TYPE, code: 'author', display: 'Author' }] },
        who: { ...deviceReference, display: source.sender },
      },
    ],
    entity: [
      {
        role: 'source',
        what: {
          identifier: { system: MESSAGE_STORE_SYSTEM, value: source.messageId },
          display: `HL7 v2 ${header.messageType} ${header.controlId} from ${source.sender}`,
        },
      },
    ],
  };
  if (header.controlId) {
    provenance.entity?.push({
      role: 'source',
      what: { identifier: { system: CONTROL_ID_SYSTEM, value: header.controlId, assigner: { display: source.sender } } },
    });
  }
  const evn = session.first('EVN');
  const occurred = evn && (session.dateTime('EVN-6', evn.value(6)) ?? session.dateTime('EVN-2', evn.value(2)));
  if (occurred) {
    provenance.occurredDateTime = occurred;
  }
  session.bundle.put(provenance, identifierSearch(MESSAGE_STORE_SYSTEM, source.messageId, 'entity:identifier'));
}
