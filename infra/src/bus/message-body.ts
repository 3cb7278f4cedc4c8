import type { Envelope } from './envelope.ts';
import { envelopeProblem } from './envelope.ts';

export type DecodedEnvelope = { envelope: Envelope; problem?: undefined } | { envelope?: undefined; problem: string };

/**
 * rabbitmq-client hands over a JSON body already parsed (content type `application/json`), a
 * string (`text/plain`) or a Buffer (anything else, or JSON that did not parse). Whatever came
 * in, this says whether it is an envelope.
 */
export function decodeEnvelope(body: unknown): DecodedEnvelope {
  let value = body;
  if (Buffer.isBuffer(value) || typeof value === 'string') {
    try {
      value = JSON.parse(value.toString());
    } catch {
      return { problem: 'the message body is not JSON' };
    }
  }
  const problem = envelopeProblem(value);
  return problem ? { problem } : { envelope: value as Envelope };
}

/** The bytes to republish a delivered body with, unchanged in meaning. */
export function bodyBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body), 'utf8');
}
