import type { Hl7Message } from '@medplum/core';
import { PermanentError } from '@simpul/infra';
import { RetryableDeliveryError } from '../routing/destination-driver.ts';
import { unescapeHl7 } from './hl7-text.ts';

/** What the RIS acknowledged: MSA-1 and, from an ORR/ORG/ORI reply, the filler order number (ORC-3). */
export interface AcceptedAck {
  readonly code: 'AA' | 'CA';
  readonly fillerOrderNumber?: string;
}

/**
 * Checks the RIS's answer to the message sent with `controlId`: AA/CA → accepted; AE/CE → a
 * retryable error; AR/CR → a permanent one (the RIS refuses this message as it is); anything that
 * is not the ACK of our message → retryable, naming what came back.
 */
export function readAck(reply: Hl7Message, controlId: string): AcceptedAck {
  const msh = reply.getSegment('MSH');
  const type = msh?.getField(9)?.toString() || '(no MSH-9)';
  const msa = reply.getSegment('MSA');
  if (!msh || !msa) {
    throw new RetryableDeliveryError(`the RIS answered ${type} without an MSA segment instead of an ACK for control id ${controlId}`);
  }
  const acknowledged = msa.getField(2)?.toString() ?? '';
  if (acknowledged !== controlId) {
    throw new RetryableDeliveryError(`the RIS acknowledged control id "${acknowledged}" instead of ${controlId} (${type}); the connection is out of step`);
  }
  const code = (msa.getField(1)?.toString() ?? '').trim().toUpperCase();
  const text = ackText(reply);
  const detail = text ? `: ${text}` : '';
  switch (code) {
    case 'AA':
    case 'CA': {
      const filler = reply.getSegment('ORC')?.getField(3)?.getComponent(1);
      return filler ? { code, fillerOrderNumber: unescapeHl7(filler) } : { code };
    }
    case 'AE':
    case 'CE':
      throw new RetryableDeliveryError(`the RIS answered ${code} (error) to control id ${controlId}${detail}`);
    case 'AR':
    case 'CR':
      throw new PermanentError(`the RIS answered ${code} (rejected) to control id ${controlId}${detail}`);
    default:
      throw new RetryableDeliveryError(`the RIS answered MSA-1 "${code}", not an acknowledgment code, to control id ${controlId}${detail}`);
  }
}

/**
 * The error text of an ACK: MSA-3, then per ERR segment the 2.5+ fields (ERR-8 user message,
 * ERR-3 code and text, ERR-7 diagnostics) or the 2.3/2.4 ERR-1 (location and code^text).
 */
export function ackText(reply: Hl7Message): string {
  const texts: string[] = [];
  const add = (value: string | undefined) => {
    const clean = value ? unescapeHl7(value).trim() : '';
    if (clean && !texts.includes(clean)) texts.push(clean);
  };
  add(reply.getSegment('MSA')?.getField(3)?.toString());
  for (const err of reply.getAllSegments('ERR')) {
    add(err.getField(8)?.toString());
    const code = err.getField(3);
    if (code) {
      const errorCode = code.getComponent(1);
      const errorText = code.getComponent(2);
      add(errorText && errorCode ? `${errorText} (${errorCode})` : errorText || errorCode);
    }
    add(err.getField(7)?.toString());
    const location = err.getField(1);
    if (location) {
      // ELD: segment^sequence^field^code&text&system
      const where = [location.getComponent(1), location.getComponent(3)].filter(Boolean).join('-');
      // getComponent's subcomponent index is 0-based.
      const what = location.getComponent(4, 1) || location.getComponent(4, 0);
      if (what) add(where ? `${what} (at ${where})` : what);
    }
  }
  return texts.join('; ').slice(0, 1000);
}
