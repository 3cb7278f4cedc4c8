import { HL7_V2_0203 } from '@medplum/core';
import type { CodeableConcept, Identifier } from '@medplum/fhirtypes';
import { MappingError } from './mapping-error.ts';
import type { MappingSession } from './mapping-session.ts';
import type { V2Composite } from './segment-view.ts';

/** A v2-0203 identifier type (`MR`, `VN`, `PLAC`, `FILL`, `ACSN`, ...). */
export function identifierType(code: string): CodeableConcept {
  return { coding: [{ system: HL7_V2_0203, code }] };
}

/**
 * Whose identifier this is. A hospital's assigning authority (`RSUD`) usually stamps its MRNs,
 * visit numbers and staff numbers alike, so only patient identifiers take the plain
 * `assigningAuthorities` entry; other identifiers take a typed entry (`RSUD^VN`), a national
 * authority (`NIK`), or the system configured for their kind (`fallbackSystem`).
 */
export type IdentifierScope = { readonly kind: 'patient' } | { readonly kind: 'other'; readonly fallbackSystem: string };

const PATIENT: IdentifierScope = { kind: 'patient' };

/** Business identifiers key conditional writes; one this long is a broken or hostile message, not an id. */
export const MAX_IDENTIFIER_LENGTH = 200;

/** Returns the value, or throws a MappingError naming the field when it is too long to be an identifier. */
export function checkedIdentifierValue(field: string, value: string): string {
  if (value.length > MAX_IDENTIFIER_LENGTH) {
    throw new MappingError({ field, reason: `identifier is ${value.length} characters long (at most ${MAX_IDENTIFIER_LENGTH})` });
  }
  return value;
}

/** CX (PID-3, MRG-1, PV1-19, NK1-33, ...) → Identifier. */
export function cxIdentifier(session: MappingSession, cx: V2Composite, field: string, scope: IdentifierScope = PATIENT): Identifier | undefined {
  const value = checkedIdentifierValue(field, cx.get(1));
  if (!value) {
    return undefined;
  }
  const authority = cx.nested(4);
  const typeCode = cx.get(5);
  const identifier: Identifier = {
    system: identifierSystem(session, { namespace: authority.get(1), universalId: authority.get(2), universalType: authority.get(3), typeCode }, field, scope),
    value,
  };
  if (typeCode) {
    identifier.type = identifierType(typeCode);
  }
  return identifier;
}

export interface AuthorityParts {
  readonly namespace: string;
  readonly universalId?: string;
  readonly universalType?: string;
  readonly typeCode: string;
}

/** The identifier system for an assigning authority and type, per the rules of `IdentifierScope`. */
export function identifierSystem(session: MappingSession, parts: AuthorityParts, field: string, scope: IdentifierScope): string {
  const { namespace, universalId = '', typeCode } = parts;
  const typed = namespace && typeCode ? session.authorities[`${namespace}^${typeCode}`] : undefined;
  if (typed) {
    return typed;
  }
  if (scope.kind === 'other') {
    return (namespace && session.nationalAuthorities[namespace]) || session.typeSystems[typeCode] || scope.fallbackSystem;
  }
  const mapped = (namespace && session.authorities[namespace]) || (universalId && session.authorities[universalId]);
  if (mapped) {
    return mapped;
  }
  if (universalId) {
    const universalType = (parts.universalType ?? '').toUpperCase();
    if (universalType === 'ISO' && /^\d+(\.\d+)+$/.test(universalId)) {
      return `urn:oid:${universalId}`;
    }
    if (universalType === 'URI' || universalType === 'URL') {
      return universalId;
    }
  }
  if (!namespace) {
    return session.typeSystems[typeCode] ?? session.config.defaultIdentifierSystem;
  }
  if (session.config.unmappedAuthority === 'reject') {
    throw new MappingError({ field, reason: `assigning authority "${namespace}" is not in the source's assigningAuthorities map` });
  }
  const derived = `${session.config.defaultIdentifierSystem.replace(/\/+$/, '')}/${encodeURIComponent(namespace)}`;
  session.warn(field, `assigning authority "${namespace}" is not in the source's assigningAuthorities map; using ${derived}`);
  return derived;
}
