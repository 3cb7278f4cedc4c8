import type { FastifyInstance } from 'fastify';
import { HubError, hubError } from '../errors.ts';

const FHIR_JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json-patch+json'];

export function isFhirJsonType(contentType: string | undefined): boolean {
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return FHIR_JSON_TYPES.includes(base);
}

/** True when the client asked for the FHIR JSON representation (of a Binary, say) rather than raw bytes. */
export function wantsFhirJson(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept
    .split(',')
    .map((part) => part.split(';')[0].trim().toLowerCase())
    .some((type) => type === 'application/fhir+json' || type === 'application/json');
}

export interface BodyLimits {
  /** For FHIR JSON and form bodies. */
  maxBodyBytes: number;
  /** For raw uploads (Binary). */
  maxBinaryBytes: number;
}

/**
 * JSON bodies are parsed here so a syntax error becomes a 400 OperationOutcome that says where it
 * is; any other content type arrives as a Buffer (raw Binary uploads).
 */
export function registerContentTypes(app: FastifyInstance, limits: BodyLimits): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    FHIR_JSON_TYPES,
    { parseAs: 'string', bodyLimit: limits.maxBodyBytes },
    (_request, body, done) => {
      const text = body as string;
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      try {
        done(null, JSON.parse(text));
      } catch (err) {
        done(hubError(HubError.INVALID_JSON, `The request body is not valid JSON: ${(err as Error).message}`), undefined);
      }
    },
  );
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: limits.maxBodyBytes },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.maxBinaryBytes }, (_request, body, done) => {
    done(null, body);
  });
}
