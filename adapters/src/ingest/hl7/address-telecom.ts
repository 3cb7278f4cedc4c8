import type { Address, ContactPoint } from '@medplum/fhirtypes';
import type { MappingSession } from './mapping-session.ts';
import type { V2Composite } from './segment-view.ts';
import { FHIR } from './v2-code-tables.ts';

/** XAD (PID-11, NK1-4) → Address. XAD-9 (county/parish) is the kabupaten/kota in Indonesia. */
export function xadAddress(session: MappingSession, xad: V2Composite, field: string): Address | undefined {
  const line = [xad.get(1, 1), xad.get(2)].filter(Boolean);
  const address: Address = {};
  const typeCode = xad.get(7);
  if (typeCode === 'M') {
    address.type = 'postal';
  } else {
    const use = session.tableCode(field, '0190', typeCode, FHIR.addressUse);
    if (use) {
      address.use = use as Address['use'];
    }
  }
  if (line.length > 0) {
    address.line = line;
  }
  const parts: [keyof Address, string][] = [
    ['city', xad.get(3)],
    ['district', xad.get(9)],
    ['state', xad.get(4)],
    ['postalCode', xad.get(5)],
    ['country', xad.get(6)],
  ];
  for (const [key, value] of parts) {
    if (value) {
      (address as Record<string, unknown>)[key] = value;
    }
  }
  return line.length > 0 || parts.some(([, value]) => value) ? address : undefined;
}

/**
 * XTN (PID-13, PID-14, NK1-5) → ContactPoint. `defaultUse` is what the field implies (PID-13
 * home, PID-14 work); a cellular phone (XTN-3 `CP`) is `mobile` whatever the field.
 */
export function xtnContactPoint(
  session: MappingSession,
  xtn: V2Composite,
  field: string,
  defaultUse?: ContactPoint['use'],
): ContactPoint | undefined {
  const equipment = xtn.get(3);
  const email = xtn.get(4);
  const assembled = [xtn.get(5) && `+${xtn.get(5)}`, xtn.get(6), xtn.get(7)].filter(Boolean).join(' ');
  const isEmail = equipment === 'Internet' || equipment === 'X.400' || xtn.get(2) === 'NET';
  const value = isEmail ? email || xtn.get(1) : xtn.get(1) || xtn.get(12) || assembled;
  if (!value) {
    return undefined;
  }
  const system = isEmail ? 'email' : (session.tableCode(field, '0202', equipment, FHIR.contactPointSystem) ?? (value.includes('@') ? 'email' : 'phone'));
  const contactPoint: ContactPoint = { system: system as ContactPoint['system'], value };
  if (system === 'email') {
    return contactPoint;
  }
  const use = equipment === 'CP' ? 'mobile' : (session.tableCode(field, '0201', xtn.get(2), FHIR.contactPointUse) ?? defaultUse);
  if (use) {
    contactPoint.use = use as ContactPoint['use'];
  }
  return contactPoint;
}
