/**
 * The contract between the route bot (rules, stability, delivery status) and the code that talks
 * to one kind of destination (a PACS over C-STORE, a RIS over MLLP, the SATUSEHAT platform).
 *
 * A driver is called once per delivery attempt with the latest version of the resource. It does
 * only what is still missing (what earlier attempts achieved is in `progress`), records progress as
 * it goes (`checkpoint`) so a crash mid-study resumes where it stopped, and either returns what it
 * achieved or throws: `RetryableDeliveryError` (or any other error) to be retried on the
 * destination's schedule, `PermanentError` from `@simpul/infra` to be dead-lettered at once.
 */
import type { MedplumClient } from '@medplum/core';
import type { ImagingStudy, ServiceRequest } from '@medplum/fhirtypes';
import type { DeliveryInteraction } from '../runtime/delivery-body.ts';

export type RoutedResource = ImagingStudy | ServiceRequest;

export interface DeliveryProgress {
  /** SOP Instance UIDs this destination has already accepted, from earlier attempts. */
  readonly deliveredInstances: ReadonlySet<string>;
  /** Ids the destination gave to what it holds, by name (`ServiceRequest`, `ImagingStudy`, ...). */
  readonly remoteIds: Readonly<Record<string, string>>;
}

export interface ProgressUpdate {
  deliveredInstances?: readonly string[];
  remoteIds?: Readonly<Record<string, string>>;
  warnings?: readonly string[];
}

export interface DriverLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface DeliveryContext<Destination> {
  /** The destination's name in `routing.destinations`. */
  readonly destinationName: string;
  readonly destination: Destination;
  /** Signed in to the hub with the route bot's client. */
  readonly medplum: MedplumClient;
  /** The latest version of the resource, read from the hub when the attempt began. */
  readonly resource: RoutedResource;
  readonly interaction: DeliveryInteraction;
  /** The same on every retry, redelivery and replay of this delivery. */
  readonly idempotencyKey: string;
  /** 1-based. */
  readonly attempt: number;
  readonly traceId: string;
  /** `storage.dir`: DICOM instances are at `<storageDir>/dicom/<study>/<series>/<sop>.dcm`. */
  readonly storageDir: string;
  readonly progress: DeliveryProgress;
  /** Makes progress durable (the delivery Task); merges with what was recorded before. */
  checkpoint(update: ProgressUpdate): Promise<void>;
  readonly logger: DriverLogger;
  /** Aborted when the attempt's time budget (`attemptTimeoutMs`) runs out. */
  readonly signal: AbortSignal;
}

export interface DeliveryResult {
  /** One line for people, e.g. "24 instances stored (2 with warnings)" or "ORM^O01 NW acknowledged AA". */
  readonly summary: string;
  readonly deliveredInstances?: readonly string[];
  readonly remoteIds?: Readonly<Record<string, string>>;
  readonly warnings?: readonly string[];
  /** True when the destination has nothing to do with this resource (a PACS and an order). */
  readonly notApplicable?: boolean;
}

export type DestinationDriver<Destination> = (context: DeliveryContext<Destination>) => Promise<DeliveryResult>;

/** A failure worth retrying; `retryAfterMs` when the destination said how long to wait (HTTP 429 `Retry-After`). */
export class RetryableDeliveryError extends Error {
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: ErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.name = 'RetryableDeliveryError';
    this.retryAfterMs = options?.retryAfterMs;
  }
}
