import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { InstanceMetadata } from '../data/instance-metadata.ts';

/**
 * The bus message the receiver publishes for every stored instance (envelope kind `dicom`, routing key
 * `dicom.<called AE title>`, exchange `simpul.ingest`): the instance's metadata, where its file is in the
 * blob store, and who sent it. The ingest worker and the preview worker read it; neither needs the file
 * to map the instance, only the preview worker opens it.
 */
export interface DicomInstanceMessage {
  readonly instance: InstanceMetadata;
  readonly file: {
    /** Path inside `storage.dir`: `dicom/<study>/<series>/<sop>.dcm`. */
    readonly path: string;
    readonly bytes: number;
  };
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly remoteAddress: string;
}

export const DICOM_MESSAGE_CONTENT_TYPE = 'application/json';

/** `dicom/<study>/<series>/<sop>.dcm`: the blob store path of an instance (UIDs are digits and dots). */
export function instanceBlobPath(studyUid: string, seriesUid: string, sopUid: string): string {
  for (const uid of [studyUid, seriesUid, sopUid]) {
    if (!isDicomUid(uid)) throw new RangeError(`not a DICOM UID: ${JSON.stringify(uid)}`);
  }
  return `dicom/${studyUid}/${seriesUid}/${sopUid}.dcm`;
}

/** Digits and dots, no empty component, at most 64 characters (PS3.5 9.1). */
export function isDicomUid(value: string): boolean {
  return value.length > 0 && value.length <= 64 && /^[0-9]+(\.[0-9]+)*$/.test(value);
}

/**
 * The envelope id of an instance: derived from its SOP Instance UID, so an instance sent again (after a
 * failure status, or by a second association) is the same message to every consumer, which skip what
 * they have already done with it.
 */
export function instanceMessageId(sopInstanceUid: string): string {
  const hex = createHash('sha256').update(`simpul-dicom-instance/${sopInstanceUid}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const uidSchema = z.string().refine(isDicomUid, 'a DICOM UID (digits and dots)');

/**
 * Checks the parts consumers rely on; the metadata's other fields are the extractor's plain JSON and
 * are passed through as they are.
 */
const messageSchema = z.looseObject({
  instance: z.looseObject({
    studyInstanceUid: uidSchema,
    seriesInstanceUid: uidSchema,
    sopInstanceUid: uidSchema,
    sopClassUid: uidSchema,
    transferSyntaxUid: uidSchema,
    patient: z.looseObject({}),
    study: z.looseObject({}),
    series: z.looseObject({}),
    instance: z.looseObject({}),
    equipment: z.looseObject({}),
    warnings: z.array(z.string()),
  }),
  file: z.strictObject({ path: z.string().regex(/^dicom\/[0-9.]+\/[0-9.]+\/[0-9.]+\.dcm$/), bytes: z.int().nonnegative() }),
  callingAeTitle: z.string().min(1).max(16),
  calledAeTitle: z.string().min(1).max(16),
  remoteAddress: z.string(),
});

/** Reads a message body, or says what is wrong with it. */
export function parseDicomInstanceMessage(body: unknown): { message: DicomInstanceMessage } | { problem: string } {
  const result = messageSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { problem: `not a DICOM instance message: ${issue.path.join('.') || '(body)'}: ${issue.message}` };
  }
  const message = result.data as unknown as DicomInstanceMessage;
  const expectedPath = instanceBlobPath(message.instance.studyInstanceUid, message.instance.seriesInstanceUid, message.instance.sopInstanceUid);
  if (message.file.path !== expectedPath) {
    return { problem: `not a DICOM instance message: file.path ${message.file.path} is not the instance's (${expectedPath})` };
  }
  return { message };
}
