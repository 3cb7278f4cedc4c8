import type { Hl7ErrorCode } from './message-problem.ts';
import { HL7_ERROR_CODES } from './message-problem.ts';

/**
 * Which MSH-9 types a source accepts. Patterns: `ADT^A01` (that event), `ADT^*` or `ADT` (every
 * ADT event), `*` (anything). A refused type is 200 when no pattern names its message code at
 * all, 201 when the code is known but not this event.
 */
export function messageTypeError(messageCode: string, triggerEvent: string, patterns: readonly string[]): Hl7ErrorCode | undefined {
  let codeKnown = false;
  for (const pattern of patterns) {
    if (pattern === '*') return undefined;
    const [code, event] = pattern.split('^');
    if (code !== messageCode) continue;
    codeKnown = true;
    if (event === undefined || event === '*' || event === triggerEvent) return undefined;
  }
  return codeKnown ? HL7_ERROR_CODES.unsupportedEventCode : HL7_ERROR_CODES.unsupportedMessageType;
}

/** `2.5` in the list accepts `2.5` and `2.5.1`; `2.5.1` accepts only itself. */
export function isAcceptedVersion(version: string, accepted: readonly string[]): boolean {
  return accepted.some((entry) => version === entry || version.startsWith(`${entry}.`));
}
