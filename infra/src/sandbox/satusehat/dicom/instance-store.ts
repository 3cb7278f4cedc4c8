import type { Part10Identity } from './part10-reader.ts';

/** One DICOM instance the sandbox received over STOW-RS. */
export interface ReceivedInstance extends Part10Identity {
  /** The organisation whose token uploaded it. */
  organizationId: string;
  /** `X-ImagingStudy-ID` when the client sent one. */
  imagingStudyId?: string;
  /** `application/dicom` or `multipart/related`: how it arrived. */
  receivedAs: string;
  receivedAt: string;
  bytes: Buffer;
}

/** Instances by SOP Instance UID; a second upload of the same UID is refused, never overwritten. */
export class InstanceStore {
  private readonly instances = new Map<string, ReceivedInstance>();

  has(sopInstanceUid: string): boolean {
    return this.instances.has(sopInstanceUid);
  }

  add(instance: ReceivedInstance): void {
    if (this.instances.has(instance.sopInstanceUid)) throw new Error(`instance ${instance.sopInstanceUid} is already stored`);
    this.instances.set(instance.sopInstanceUid, instance);
  }

  /** Copies, in arrival order; `bytes` is the file exactly as received. */
  all(): ReceivedInstance[] {
    return [...this.instances.values()].map((instance) => ({ ...instance, bytes: Buffer.from(instance.bytes) }));
  }

  clear(): void {
    this.instances.clear();
  }
}
