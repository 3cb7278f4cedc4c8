import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BearerGuard } from '../auth/bearer-guard.ts';
import { studyInstanceUidOf } from '../fhir/imaging-study-rules.ts';
import type { ResourceStore } from '../fhir/resource-store.ts';
import { INSTANCE_EXISTS_TEXT, operationOutcome, outcomeIssue } from '../outcomes.ts';
import { badRequest, businessRuleViolation, notFound, SandboxHttpError } from '../sandbox-error.ts';
import type { SandboxBehaviour } from '../sandbox-options.ts';
import type { InstanceStore } from './instance-store.ts';
import { boundaryOf, MultipartError, parseContentType, parseMultipart } from './multipart-related.ts';
import { Part10ReadError, readPart10Identity, type Part10Identity } from './part10-reader.ts';

export interface StowRouteOptions {
  instances: InstanceStore;
  resources: ResourceStore;
  guard: BearerGuard;
  behaviour: SandboxBehaviour;
  maxDicomBytes: number;
  origin: (request: FastifyRequest) => string;
  now: () => number;
}

/** DICOM Failure Reason (0008,1197) for a SOP Instance that is already stored. */
const DUPLICATE_SOP_INSTANCE = 0x0111;

/**
 * `POST {host}/dicom/v1/dicomWeb/studies[/{study}]` (sections 7 step 6 and 10.6): raw Part 10 bytes
 * as `application/dicom`, or several as `multipart/related; type="application/dicom"`. A request
 * is all-or-nothing for bad input (one unreadable part refuses the lot); already-stored instances
 * are reported per instance with the text the official router looks for.
 */
export async function stowRoutes(app: FastifyInstance, options: StowRouteOptions): Promise<void> {
  app.addContentTypeParser(['application/dicom', 'multipart/related'], { parseAs: 'buffer', bodyLimit: options.maxDicomBytes }, (_request, body, done) => {
    done(null, body);
  });

  const receive = (request: FastifyRequest<{ Params: { study?: string } }>): { stored: Part10Identity[]; duplicates: Part10Identity[] } => {
    const { organizationId } = options.guard.grantOf(request);
    const files = dicomFiles(request);
    const identities = files.map((file, index) => {
      try {
        return readPart10Identity(file);
      } catch (error) {
        if (!(error instanceof Part10ReadError)) throw error;
        throw badRequest('format', files.length > 1 ? `part ${index + 1}: ${error.message}` : error.message);
      }
    });
    const expected = [
      { uid: request.params.study, source: 'the study in the URL' },
      { uid: imagingStudyUid(request, organizationId, options), source: 'the ImagingStudy named by X-ImagingStudy-ID' },
    ];
    for (const identity of identities) {
      for (const { uid, source } of expected) {
        if (uid !== undefined && identity.studyInstanceUid !== uid) {
          throw badRequest('value', `instance ${identity.sopInstanceUid} belongs to study ${identity.studyInstanceUid}, not ${uid} (${source})`);
        }
      }
    }

    const stored: Part10Identity[] = [];
    const duplicates: Part10Identity[] = [];
    const receivedAt = new Date(options.now()).toISOString();
    const imagingStudyId = singleHeader(request, 'x-imagingstudy-id');
    identities.forEach((identity, index) => {
      if (options.instances.has(identity.sopInstanceUid)) {
        duplicates.push(identity);
        return;
      }
      options.instances.add({ ...identity, organizationId, imagingStudyId, receivedAs: mediaTypeOf(request), receivedAt, bytes: Buffer.from(files[index]) });
      stored.push(identity);
    });
    return { stored, duplicates };
  };

  const handler = async (request: FastifyRequest<{ Params: { study?: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
    const { stored, duplicates } = receive(request);
    const status = duplicates.length === 0 ? 200 : stored.length === 0 ? options.behaviour.duplicateInstanceStatus : 202;
    return reply.code(status).type('application/dicom+json').send(storeResponse(stored, duplicates, `${options.origin(request)}/dicom/v1/dicomWeb`));
  };
  app.post('/dicomWeb/studies', handler);
  app.post('/dicomWeb/studies/:study', handler);
}

function dicomFiles(request: FastifyRequest): Buffer[] {
  const body = request.body;
  let contentType;
  try {
    contentType = parseContentType(request.headers['content-type'] ?? '');
    if (contentType.mediaType === 'application/dicom' && Buffer.isBuffer(body)) return [body];
    if (contentType.mediaType !== 'multipart/related' || !Buffer.isBuffer(body)) throw unsupportedMediaType();
    const declared = contentType.parameters.get('type');
    if (declared !== undefined && declared.toLowerCase() !== 'application/dicom') throw unsupportedMediaType();
    const parts = parseMultipart(body, boundaryOf(contentType));
    return parts.map((part, index) => {
      const partType = part.headers.get('content-type');
      if (partType !== undefined && parseContentType(partType).mediaType !== 'application/dicom') {
        throw new SandboxHttpError(415, operationOutcome([outcomeIssue('not-supported', `part ${index + 1} is ${partType}; only application/dicom is accepted`)]));
      }
      return part.content;
    });
  } catch (error) {
    if (error instanceof MultipartError) throw badRequest('structure', `malformed multipart/related body: ${error.message}`);
    throw error;
  }
}

/** The Study Instance UID of the ImagingStudy named by `X-ImagingStudy-ID`, when the client sent one. */
function imagingStudyUid(request: FastifyRequest, organizationId: string, options: StowRouteOptions): string | undefined {
  const id = singleHeader(request, 'x-imagingstudy-id');
  if (id === undefined) return undefined;
  const study = options.resources.read('ImagingStudy', id);
  if (study === undefined) throw notFound(`X-ImagingStudy-ID: ImagingStudy/${id} not found`);
  if (study.owner !== organizationId) throw businessRuleViolation(options.behaviour.businessRuleStatus);
  const uid = studyInstanceUidOf(study.resource);
  if (uid === undefined) throw badRequest('value', `ImagingStudy/${id} has no urn:dicom:uid identifier to match the instances against`);
  return uid;
}

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

function mediaTypeOf(request: FastifyRequest): string {
  return parseContentType(request.headers['content-type'] ?? '').mediaType;
}

function unsupportedMediaType(): SandboxHttpError {
  return new SandboxHttpError(
    415,
    operationOutcome([outcomeIssue('not-supported', 'Send application/dicom or multipart/related; type="application/dicom"')]),
  );
}

/** A PS3.18 store response in DICOM JSON: stored instances referenced, refused ones with a reason. */
function storeResponse(stored: Part10Identity[], duplicates: Part10Identity[], dicomWebBase: string): Record<string, unknown> {
  const url = (identity: Part10Identity): string =>
    `${dicomWebBase}/studies/${identity.studyInstanceUid}/series/${identity.seriesInstanceUid ?? ''}/instances/${identity.sopInstanceUid}`;
  const reference = (identity: Part10Identity): Record<string, unknown> => ({
    '00081150': { vr: 'UI', Value: [identity.sopClassUid ?? ''] },
    '00081155': { vr: 'UI', Value: [identity.sopInstanceUid] },
  });
  const response: Record<string, unknown> = {};
  const study = stored[0] ?? duplicates[0];
  if (study !== undefined) response['00081190'] = { vr: 'UR', Value: [`${dicomWebBase}/studies/${study.studyInstanceUid}`] };
  if (stored.length > 0) {
    response['00081199'] = { vr: 'SQ', Value: stored.map((identity) => ({ ...reference(identity), '00081190': { vr: 'UR', Value: [url(identity)] } })) };
  }
  if (duplicates.length > 0) {
    response['00081198'] = {
      vr: 'SQ',
      Value: duplicates.map((identity) => ({
        ...reference(identity),
        '00081197': { vr: 'US', Value: [DUPLICATE_SOP_INSTANCE] },
        '00000902': { vr: 'LO', Value: [`${INSTANCE_EXISTS_TEXT}: ${identity.sopInstanceUid}`] },
      })),
    };
  }
  return response;
}
