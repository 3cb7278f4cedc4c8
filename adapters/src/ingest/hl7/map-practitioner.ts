import type { Practitioner, Reference } from '@medplum/fhirtypes';
import { identifierSystem, identifierType } from './cx-identifier.ts';
import type { MappingSession } from './mapping-session.ts';
import { xcnName } from './person-name.ts';
import type { V2Composite } from './segment-view.ts';
import { identifierSearch } from './transaction-builder.ts';

/**
 * XCN (PV1-7, ORC-12, OBX-16, AIP-3, ...) → a reference to a Practitioner that is created when no
 * Practitioner has that identifier yet and otherwise left alone: the practitioner registry, not a
 * v2 message, owns practitioner data. Without an id (XCN-1) the name becomes a display-only
 * reference rather than an unidentifiable resource.
 */
export function practitionerReference(session: MappingSession, xcn: V2Composite, field: string): Reference<Practitioner> | undefined {
  const id = xcn.get(1);
  const name = xcnName(session, xcn, field);
  if (!id) {
    return name?.text ? { display: name.text } : undefined;
  }
  const typeCode = xcn.get(13);
  const system = identifierSystem(session, { namespace: xcn.nested(9).get(1), typeCode }, field, {
    kind: 'other',
    fallbackSystem: session.systems.practitioner,
  });
  const practitioner: Practitioner = { resourceType: 'Practitioner', identifier: [{ system, value: id }], active: true };
  if (typeCode) {
    practitioner.identifier = [{ ...practitioner.identifier?.[0], type: identifierType(typeCode) }];
  }
  if (name) {
    practitioner.name = [name];
  }
  const reference = session.bundle.createIfNoneExist(practitioner, identifierSearch(system, id));
  return name?.text ? { ...reference, display: name.text } : reference;
}
