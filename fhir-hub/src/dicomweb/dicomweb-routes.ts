import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { Operator, OperationOutcomeError, badRequest, notFound } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { ImagingStudy, OperationOutcome } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDicomUid } from './dicom-uid.ts';
import { readTransferSyntax } from './part10-transfer-syntax.ts';
import { chooseRetrieveMediaType } from './retrieve-media-type.ts';

/**
 * DICOMweb WADO-RS retrieval of original instances (PS3.18 10.4):
 * `GET /dicomweb/studies/{study}/series/{series}/instances/{sop}` answers the bytes the modality sent,
 * as `application/dicom` or, when asked, `multipart/related; type="application/dicom"`.
 *
 * Registered in the same authenticated context as FHIR: the caller must be able to read the
 * ImagingStudy that lists the instance (through the same scoped repository, so a patient-scoped token
 * sees only its patient's images), and the file must be in the blob store at
 * `<storage.dir>/dicom/<study>/<series>/<sop>.dcm`. UIDs are checked to be digits and dots before they
 * touch a path.
 */

export interface DicomWebRoutesOptions {
  /** `storage.dir` of the hub and the DICOM receiver. */
  storageDir: string;
  /** The repository this request may use (the caller's scopes apply). */
  repoFor: (request: FastifyRequest) => FhirRepository;
}

export const DICOMWEB_PREFIX = '/dicomweb';

interface InstanceParams {
  study: string;
  series: string;
  sop: string;
}

export async function dicomwebRoutes(app: FastifyInstance, options: DicomWebRoutesOptions): Promise<void> {
  const root = resolve(options.storageDir, 'dicom');
  app.get<{ Params: InstanceParams }>(`${DICOMWEB_PREFIX}/studies/:study/series/:series/instances/:sop`, async (request, reply) => {
    const { study, series, sop } = request.params;
    for (const [name, value] of Object.entries({ study, series, sop })) {
      if (!isDicomUid(value)) throw new OperationOutcomeError(badRequest(`${name} UID must be digits and dots (at most 64 characters)`, name));
    }
    await assertListedInReadableStudy(options.repoFor(request), study, series, sop);
    const path = join(root, study, series, `${sop}.dcm`);
    const size = await fileSize(path);
    if (size === undefined) throw new OperationOutcomeError(notFound);
    const transferSyntax = await readTransferSyntax(path);
    const choice = chooseRetrieveMediaType(request.headers.accept, transferSyntax);
    if (!choice) {
      return notAcceptable(reply, `the instance is stored in transfer syntax ${transferSyntax ?? 'unknown'} and is not transcoded; accept application/dicom with that transfer syntax or *`);
    }
    const partType = `application/dicom${transferSyntax ? `; transfer-syntax=${transferSyntax}` : ''}`;
    if (choice.kind === 'single') {
      reply.header('content-type', partType);
      reply.header('content-length', String(size));
      return reply.send(createReadStream(path));
    }
    const boundary = `simpul-${randomUUID()}`;
    const head = Buffer.from(`--${boundary}\r\nContent-Type: ${partType}\r\nContent-Length: ${size}\r\n\r\n`, 'latin1');
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
    reply.header('content-type', `multipart/related; type="application/dicom"; boundary=${boundary}`);
    reply.header('content-length', String(head.length + size + tail.length));
    const body = new PassThrough();
    body.write(head);
    const file = createReadStream(path);
    file.on('error', (error) => body.destroy(error));
    file.on('end', () => body.end(tail));
    file.pipe(body, { end: false });
    return reply.send(body);
  });
}

/** 404 unless the caller can read an ImagingStudy with this Study Instance UID that lists the series and instance. */
async function assertListedInReadableStudy(repo: FhirRepository, study: string, series: string, sop: string): Promise<void> {
  const bundle = await repo.search<ImagingStudy>({
    resourceType: 'ImagingStudy',
    filters: [{ code: 'identifier', operator: Operator.EQUALS, value: `urn:dicom:uid|urn:oid:${study}` }],
    count: 2,
  });
  const listed = (bundle.entry ?? []).some((entry) =>
    entry.resource?.series?.some((s) => s.uid === series && s.instance?.some((instance) => instance.uid === sop)),
  );
  if (!listed) throw new OperationOutcomeError(notFound);
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function notAcceptable(reply: FastifyReply, text: string): FastifyReply {
  const outcome: OperationOutcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported', details: { text } }] };
  reply.header('content-type', 'application/fhir+json; charset=utf-8');
  return reply.status(406).send(JSON.stringify(outcome));
}
