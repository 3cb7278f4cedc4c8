import type { Bundle, BundleEntry, ImagingStudy } from '@medplum/fhirtypes';
import { RetryableError } from '@simpul/infra';
import { DicomIngestError, setInstancePreview, setSeriesThumbnail } from '../ingest/dicom/index.ts';
import { HubRequestError, type HubClient } from '../ingest/worker/hub-client.ts';
import { KeyedBatcher } from '../ingest/worker/keyed-batcher.ts';
import { readStudy } from '../ingest/worker/write-study-batch.ts';

/**
 * Stores previews and thumbnails as Binary and points the ImagingStudy's instances and series at them
 * (the extensions of DESIGN.md "Identifiers and links"). Previews of one study go in batches: one
 * transaction per batch writes the Binaries and the version-checked study together, retried on 412, so
 * a preview is never stored without its link nor linked without its bytes. The preview worker usually
 * finishes before the ingest worker has added the instance to the study; such a preview waits and is
 * tried again until the instance is there.
 */

export interface PreviewLink {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly preview: { readonly binaryId: string; readonly jpeg: Buffer };
  /** The series thumbnail, when this instance made it. */
  readonly thumbnail?: { readonly binaryId: string; readonly jpeg: Buffer };
}

export interface PreviewLinkerOptions {
  readonly hub: HubClient;
  /** How long a preview waits for its instance to appear in the study before the message is retried later. Default 30 s. */
  readonly waitForInstanceMs?: number;
  /** Pause between looks while waiting. Default 100 ms. */
  readonly retryEveryMs?: number;
}

type LinkOutcome = 'linked' | 'missing';

const MAX_UPDATE_ATTEMPTS = 8;

export class PreviewLinker {
  readonly #hub: HubClient;
  readonly #waitForInstanceMs: number;
  readonly #retryEveryMs: number;
  readonly #batcher: KeyedBatcher<PreviewLink, LinkOutcome>;

  constructor(options: PreviewLinkerOptions) {
    this.#hub = options.hub;
    this.#waitForInstanceMs = options.waitForInstanceMs ?? 30_000;
    this.#retryEveryMs = options.retryEveryMs ?? 100;
    this.#batcher = new KeyedBatcher((studyUid, links) => this.#apply(studyUid, links));
  }

  /** Resolves once the study points at the preview; RetryableError if the instance never appeared. */
  async link(link: PreviewLink): Promise<void> {
    const deadline = Date.now() + this.#waitForInstanceMs;
    for (;;) {
      if ((await this.#batcher.add(link.studyInstanceUid, link)) === 'linked') return;
      if (Date.now() >= deadline) {
        throw new RetryableError(`instance ${link.sopInstanceUid} is not in the ImagingStudy of ${link.studyInstanceUid} yet`);
      }
      await new Promise((resolve) => setTimeout(resolve, this.#retryEveryMs));
    }
  }

  async #apply(studyUid: string, links: PreviewLink[]): Promise<LinkOutcome[]> {
    for (let attempt = 1; ; attempt++) {
      const study = await readStudy(this.#hub, studyUid);
      if (!study?.id || !study.meta?.versionId) return links.map(() => 'missing');
      const { updated, outcomes } = withPreviews(study, links);
      if (JSON.stringify(updated) === JSON.stringify(study)) return outcomes;
      const linkable = links.filter((_, i) => outcomes[i] === 'linked');
      const binaries = linkable.flatMap((link) => [link.preview, ...(link.thumbnail ? [link.thumbnail] : [])]);
      const bundle: Bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          ...binaries.map(
            ({ binaryId, jpeg }): BundleEntry => ({
              resource: { resourceType: 'Binary', id: binaryId, contentType: 'image/jpeg', data: jpeg.toString('base64') },
              request: { method: 'PUT', url: `Binary/${binaryId}` },
            }),
          ),
          { resource: updated, request: { method: 'PUT', url: `ImagingStudy/${study.id}`, ifMatch: `W/"${study.meta.versionId}"` } },
        ],
      };
      try {
        await this.#hub.transaction(bundle);
        return outcomes;
      } catch (error) {
        if (!(error instanceof HubRequestError) || error.status !== 412 || attempt >= MAX_UPDATE_ATTEMPTS) throw error;
      }
    }
  }
}

function withPreviews(study: ImagingStudy, links: readonly PreviewLink[]): { updated: ImagingStudy; outcomes: LinkOutcome[] } {
  let updated = study;
  const outcomes = links.map((link): LinkOutcome => {
    try {
      updated = setInstancePreview(updated, link.sopInstanceUid, link.preview.binaryId);
      if (link.thumbnail) updated = setSeriesThumbnail(updated, link.seriesInstanceUid, link.thumbnail.binaryId);
      return 'linked';
    } catch (error) {
      if (error instanceof DicomIngestError) return 'missing';
      throw error;
    }
  });
  return { updated, outcomes };
}
