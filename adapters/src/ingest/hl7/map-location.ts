import type { Location, Reference } from '@medplum/fhirtypes';
import type { MappingSession } from './mapping-session.ts';
import type { V2Composite } from './segment-view.ts';
import { identifierSearch } from './transaction-builder.ts';

const PHYSICAL_TYPES = 'http://terminology.hl7.org/CodeSystem/location-physical-type';

/**
 * PL (PV1-3, PV1-6, AIL-3) → a reference to a Location keyed on `pointOfCare/room/bed`, created
 * when missing. The most specific part decides the physical type (bed, room, ward).
 */
export function locationReference(session: MappingSession, pl: V2Composite): Reference<Location> | undefined {
  const [pointOfCare, room, bed] = [pl.get(1), pl.get(2), pl.get(3)];
  const parts = [pointOfCare, room, bed].filter(Boolean);
  if (parts.length === 0) {
    return undefined;
  }
  const value = parts.join('/');
  const name = pl.get(9) || parts.join(' ');
  const [code, display] = bed ? ['bd', 'Bed'] : room ? ['ro', 'Room'] : ['wa', 'Ward'];
  const location: Location = {
    resourceType: 'Location',
    identifier: [{ system: session.systems.location, value }],
    status: 'active',
    name,
    mode: 'instance',
    physicalType: { coding: [{ system: PHYSICAL_TYPES, code, display }] },
  };
  const reference = session.bundle.createIfNoneExist(location, identifierSearch(session.systems.location, value));
  return { ...reference, display: name };
}
