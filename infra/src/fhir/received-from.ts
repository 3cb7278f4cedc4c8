/**
 * Where a resource came in: the edge's own facts (DICOM AE titles, HL7 MSH-3/4), kept on the
 * ImagingStudy and ServiceRequest the ingest writes, so routing rules can ask "sent by CT01?" or
 * "ordered at RSUD-A?" without reading Provenance. One extension per distinct arrival path (a study
 * whose instances came from two modalities carries two).
 */
export const RECEIVED_FROM_EXTENSION_URL = 'https://simpul.dev/fhir/StructureDefinition/received-from';

export interface ReceivedFrom {
  readonly protocol: 'dicom' | 'hl7v2' | 'sql' | 'webhook';
  /** The edge's source name (HL7/SQL/webhook source). */
  readonly source?: string;
  readonly callingAeTitle?: string;
  readonly calledAeTitle?: string;
  readonly sendingApplication?: string;
  readonly sendingFacility?: string;
}

/** The structural part of a FHIR Extension this module reads and writes. */
export interface PlainExtension {
  url: string;
  valueString?: string;
  valueCode?: string;
  extension?: PlainExtension[];
}

const FIELDS = ['source', 'callingAeTitle', 'calledAeTitle', 'sendingApplication', 'sendingFacility'] as const;

export function receivedFromExtension(from: ReceivedFrom): PlainExtension {
  const parts: PlainExtension[] = [{ url: 'protocol', valueCode: from.protocol }];
  for (const field of FIELDS) {
    const value = from[field]?.trim();
    if (value) parts.push({ url: field, valueString: value });
  }
  return { url: RECEIVED_FROM_EXTENSION_URL, extension: parts };
}

export function readReceivedFrom(resource: { extension?: readonly { url: string }[] }): ReceivedFrom[] {
  return ((resource.extension ?? []) as readonly PlainExtension[])
    .filter((extension) => extension.url === RECEIVED_FROM_EXTENSION_URL)
    .map((extension) => {
      const part = (name: string): PlainExtension | undefined => extension.extension?.find((sub) => sub.url === name);
      const protocol = part('protocol')?.valueCode as ReceivedFrom['protocol'] | undefined;
      const from: Record<string, string> = { protocol: protocol ?? 'hl7v2' };
      for (const field of FIELDS) {
        const value = part(field)?.valueString;
        if (value) from[field] = value;
      }
      return from as unknown as ReceivedFrom;
    });
}

/** `extensions` with `from` added unless an equal arrival path is already there (idempotent). */
export function withReceivedFrom<E extends { url: string }>(extensions: readonly E[] | undefined, from: ReceivedFrom): E[] {
  const list = [...(extensions ?? [])];
  const key = JSON.stringify(receivedFromExtension(from));
  if (list.some((extension) => extension.url === RECEIVED_FROM_EXTENSION_URL && JSON.stringify(extension) === key)) return list;
  return [...list, receivedFromExtension(from) as unknown as E];
}
