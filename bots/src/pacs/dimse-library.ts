import type { Socket } from 'node:net';
import dimse from 'dcmjs-dimse';

/**
 * The parts of dcmjs-dimse the C-STORE client uses. Its `Client` opens its own socket (no TCP_NODELAY,
 * which caps a loopback peer near 16 instances/s because of Nagle's algorithm and delayed ACKs) and
 * proposes its own presentation contexts, so the driver drives the library's `Network` (the DIMSE and
 * PDU machinery under `Client` and `Scp`) over a socket it opened itself. `Network` is not exported by
 * name; it is the base class of the exported `Scp`.
 */

export type DimseAssociation = InstanceType<typeof dimse.association.Association>;
export type DimseRequest = InstanceType<typeof dimse.requests.CStoreRequest>;
export type DimseResponse = InstanceType<typeof dimse.responses.Response>;

export interface RejectInfo {
  readonly result: number;
  readonly source: number;
  readonly reason: number;
}

export interface AbortInfo {
  readonly source: number;
  readonly reason: number;
}

export interface DimseNetwork {
  sendAssociationRequest(association: DimseAssociation): void;
  sendAssociationReleaseRequest(): void;
  sendRequests(requests: DimseRequest): void;
  sendAbort(source?: number, reason?: number): void;
  on(event: 'connect' | 'close' | 'associationReleaseResponse' | 'done', listener: () => void): unknown;
  on(event: 'associationAccepted', listener: (association: DimseAssociation) => void): unknown;
  on(event: 'associationRejected', listener: (reject: RejectInfo) => void): unknown;
  on(event: 'abort', listener: (abort: AbortInfo) => void): unknown;
  on(event: 'networkError', listener: (error: Error) => void): unknown;
}

export interface NetworkOptions {
  readonly connectTimeout: number;
  readonly associationTimeout: number;
  readonly pduTimeout: number;
}

type NetworkClass = new (socket: Socket, options: NetworkOptions) => DimseNetwork;

let network: NetworkClass | undefined;

export function dimseNetworkClass(): NetworkClass {
  if (!network) {
    const base: unknown = Object.getPrototypeOf(dimse.Scp);
    if (typeof base !== 'function' || !('prototype' in base) || typeof base.prototype.sendAssociationRequest !== 'function') {
      throw new Error('dcmjs-dimse changed: the base class of Scp is no longer its Network class (check the installed version)');
    }
    // The library logs every PDU at INFO through a process-wide logger, which costs half the throughput.
    dimse.log.setLevel('silent');
    network = base as NetworkClass;
  }
  return network;
}

/**
 * A data set whose bytes are already encoded in `transferSyntaxUid`: the library sends them unchanged.
 * `release()` drops the bytes once the response is in: the library keeps every request of an
 * association (and so its data set) until the association ends.
 */
export class EncodedDataset extends dimse.Dataset {
  #bytes: Buffer;

  constructor(bytes: Buffer, transferSyntaxUid: string, sopClassUid: string, sopInstanceUid: string) {
    super({ SOPClassUID: sopClassUid, SOPInstanceUID: sopInstanceUid }, transferSyntaxUid);
    this.#bytes = bytes;
  }

  override getDenaturalizedDataset(): Buffer {
    return this.#bytes;
  }

  release(): void {
    this.#bytes = Buffer.alloc(0);
  }
}

/** Re-encodes a data set between the little endian syntaxes (dcmjs reads it and writes it again). */
export function reencodeDataset(bytes: Buffer, fromTransferSyntaxUid: string, toTransferSyntaxUid: string): Buffer {
  const dataset = new dimse.Dataset(bytes, fromTransferSyntaxUid, { ignoreErrors: false });
  dataset.setTransferSyntaxUid(toTransferSyntaxUid);
  return dataset.getDenaturalizedDataset();
}

export const { Association } = dimse.association;
export const { CStoreRequest } = dimse.requests;
export const { PresentationContextResult } = dimse.constants;
