import type { HumanName } from '@medplum/fhirtypes';
import type { MappingSession } from './mapping-session.ts';
import type { V2Composite } from './segment-view.ts';
import { FHIR } from './v2-code-tables.ts';

/** Where the name parts sit in a v2 name type: XPN starts at component 1, XCN at 2. */
interface NameLayout {
  readonly family: number;
  readonly nameType: number;
}

const XPN: NameLayout = { family: 1, nameType: 7 };
const XCN: NameLayout = { family: 2, nameType: 10 };

/** XPN (PID-5, NK1-2, MRG-7) → HumanName. */
export function xpnName(session: MappingSession, xpn: V2Composite, field: string): HumanName | undefined {
  return toHumanName(session, xpn, field, XPN);
}

/** The name part of an XCN (PV1-7, ORC-12, OBX-16, AIP-3). */
export function xcnName(session: MappingSession, xcn: V2Composite, field: string): HumanName | undefined {
  return toHumanName(session, xcn, field, XCN);
}

function toHumanName(session: MappingSession, composite: V2Composite, field: string, layout: NameLayout): HumanName | undefined {
  const at = (offset: number): string => composite.get(layout.family + offset);
  // FN (2.4+) carries the surname in its first subcomponent; ST (2.3) is the surname itself.
  const family = composite.get(layout.family, 1);
  const given = [at(1), at(2)].filter(Boolean);
  const suffix = [at(3), at(5)].filter(Boolean);
  const prefix = [at(4)].filter(Boolean);
  if (!family && given.length === 0) {
    return undefined;
  }
  const name: HumanName = {};
  const use = session.tableCode(field, '0200', composite.get(layout.nameType), FHIR.nameUse);
  if (use) {
    name.use = use as HumanName['use'];
  }
  name.text = [...prefix, ...given, family, ...suffix].filter(Boolean).join(' ');
  if (family) {
    name.family = family;
  }
  if (given.length > 0) {
    name.given = given;
  }
  if (prefix.length > 0) {
    name.prefix = prefix;
  }
  if (suffix.length > 0) {
    name.suffix = suffix;
  }
  return name;
}

/** "dr. Rina Wulandari, Sp.Rad" style display for references. */
export function nameDisplay(name: HumanName | undefined): string | undefined {
  return name?.text || undefined;
}
