import { connect, type Socket } from 'node:net';
import {
  Association,
  CStoreRequest,
  dimseNetworkClass,
  EncodedDataset,
  PresentationContextResult,
  type AbortInfo,
  type DimseNetwork,
  type DimseResponse,
  type RejectInfo,
} from './dimse-library.ts';
import type { AcceptedContext, ProposedContext } from './presentation-contexts.ts';

/**
 * One association with a C-STORE SCP: connect (TCP_NODELAY), negotiate, store one instance at a time,
 * release. Every wait has `timeoutMs`; anything that ends the association early (refused connection,
 * A-ASSOCIATE-RJ, A-ABORT, a timeout, a dropped socket, the caller's abort signal) rejects the wait in
 * progress, and every later one, with an `AssociationError`.
 */

export type AssociationFailureKind = 'unreachable' | 'rejected' | 'aborted' | 'timeout' | 'network' | 'cancelled';

export class AssociationError extends Error {
  readonly kind: AssociationFailureKind;

  constructor(kind: AssociationFailureKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AssociationError';
    this.kind = kind;
  }
}

export interface AssociationTarget {
  readonly host: string;
  readonly port: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly timeoutMs: number;
}

export interface StoreResponse {
  readonly status: number;
  readonly errorComment: string | undefined;
}

export interface DatasetToStore {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly bytes: Buffer;
}

export class StoreAssociation {
  readonly accepted: readonly AcceptedContext[];
  readonly #socket: Socket;
  readonly #network: DimseNetwork;
  readonly #link: Link;
  readonly #timeoutMs: number;

  private constructor(socket: Socket, network: DimseNetwork, link: Link, accepted: readonly AcceptedContext[], timeoutMs: number) {
    this.#socket = socket;
    this.#network = network;
    this.#link = link;
    this.accepted = accepted;
    this.#timeoutMs = timeoutMs;
  }

  static async open(target: AssociationTarget, contexts: readonly ProposedContext[], signal?: AbortSignal): Promise<StoreAssociation> {
    const Network = dimseNetworkClass();
    const socket = connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    const network = new Network(socket, {
      // The library's own idle checks back ours up (they run once a second).
      connectTimeout: target.timeoutMs + 1000,
      associationTimeout: target.timeoutMs + 1000,
      pduTimeout: target.timeoutMs + 1000,
    });
    const peer = `${target.calledAeTitle}@${target.host}:${target.port}`;
    const link = new Link(socket, network, peer, signal);
    try {
      await link.wait(new Promise<void>((resolve) => network.on('connect', () => resolve())), target.timeoutMs, 'connecting');
      const association = new Association(target.callingAeTitle, target.calledAeTitle);
      for (const context of contexts) {
        association.addPresentationContext(context.abstractSyntaxUid, context.id);
        for (const uid of context.transferSyntaxUids) association.addTransferSyntaxToPresentationContext(context.id, uid);
      }
      const accepted = new Promise<void>((resolve) => network.on('associationAccepted', () => resolve()));
      network.sendAssociationRequest(association);
      await link.wait(accepted, target.timeoutMs, 'waiting for the association to be accepted');
      const acceptedContexts = association
        .getPresentationContexts()
        .map(({ context }) => context)
        .filter((context) => context.getResult() === PresentationContextResult.Accept)
        .map((context) => ({ abstractSyntaxUid: context.getAbstractSyntaxUid(), transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '' }));
      return new StoreAssociation(socket, network, link, acceptedContexts, target.timeoutMs);
    } catch (error) {
      link.close();
      throw error;
    }
  }

  /** Sends one C-STORE and waits for its final response. The data set must be in an accepted syntax. */
  async store(dataset: DatasetToStore): Promise<StoreResponse> {
    const encoded = new EncodedDataset(dataset.bytes, dataset.transferSyntaxUid, dataset.sopClassUid, dataset.sopInstanceUid);
    const request = new CStoreRequest(encoded);
    const response = new Promise<StoreResponse>((resolve) => {
      request.on('response', (answer: DimseResponse) => {
        // C-STORE has no pending responses; anything but 0xFF00/0xFF01 is final.
        const status = Number(answer.getStatus());
        if (status !== 0xff00 && status !== 0xff01) resolve({ status, errorComment: answer.getErrorComment() || undefined });
      });
    });
    this.#network.sendRequests(request);
    try {
      return await this.#link.wait(response, this.#timeoutMs, `waiting for the C-STORE response for ${dataset.sopInstanceUid}`);
    } finally {
      encoded.release();
    }
  }

  /** A-RELEASE; on any trouble the connection is simply closed (every response was already received). */
  async release(): Promise<void> {
    try {
      const released = new Promise<void>((resolve) => this.#network.on('associationReleaseResponse', () => resolve()));
      this.#network.sendAssociationReleaseRequest();
      await this.#link.wait(released, this.#timeoutMs, 'waiting for the release response');
    } finally {
      this.#link.close();
    }
  }

  /** A-ABORT and close. */
  abort(): void {
    if (!this.#socket.destroyed) {
      try {
        this.#network.sendAbort();
      } catch {
        // The socket is going away anyway.
      }
    }
    this.#link.close();
  }
}

/** Turns the network's failure events, the socket's end and the abort signal into one rejection. */
class Link {
  readonly #socket: Socket;
  readonly #peer: string;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbortSignal: () => void;
  #failure: AssociationError | undefined;
  readonly #failed: Promise<never>;
  #fail!: (error: AssociationError) => void;
  #closing = false;

  constructor(socket: Socket, network: DimseNetwork, peer: string, signal: AbortSignal | undefined) {
    this.#socket = socket;
    this.#peer = peer;
    this.#signal = signal;
    this.#failed = new Promise<never>((_, reject) => {
      this.#fail = (error) => {
        if (this.#failure) return;
        this.#failure = error;
        reject(error);
      };
    });
    this.#failed.catch(() => undefined);
    network.on('associationRejected', (reject: RejectInfo) => {
      this.#fail(new AssociationError('rejected', `association rejected by ${peer}: ${describeReject(reject)}`));
      this.close();
    });
    network.on('abort', (abort: AbortInfo) => {
      this.#fail(new AssociationError('aborted', `association aborted by ${peer} (A-ABORT source ${abort.source}, reason ${abort.reason})`));
      this.close();
    });
    network.on('networkError', (error: Error) => {
      const refused = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN/.exec(error.message);
      if (refused) {
        this.#fail(new AssociationError('unreachable', `cannot connect to ${peer}: ${refused[0]}`, { cause: error }));
      } else if (/timeout/i.test(error.message)) {
        this.#fail(new AssociationError('timeout', `no answer from ${peer} in time (${error.message.replace(/^.*?-> /, '')})`, { cause: error }));
      } else {
        this.#fail(new AssociationError('network', `connection to ${peer} failed: ${error.message.replace(/^.*?-> /, '')}`, { cause: error }));
      }
      this.close();
    });
    network.on('close', () => {
      if (!this.#closing) this.#fail(new AssociationError('network', `${peer} closed the connection`));
    });
    this.#onAbortSignal = () => {
      this.#fail(new AssociationError('cancelled', `delivery to ${peer} stopped: ${describeReason(signal?.reason)}`));
      try {
        network.sendAbort();
      } catch {
        // The socket is going away anyway.
      }
      this.close();
    };
    if (signal?.aborted) this.#onAbortSignal();
    else signal?.addEventListener('abort', this.#onAbortSignal, { once: true });
  }

  /** Resolves with `step`, or rejects with the association's failure or a timeout after `timeoutMs`. */
  async wait<T>(step: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    if (this.#failure) throw this.#failure;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new AssociationError('timeout', `no answer from ${this.#peer} within ${timeoutMs} ms (${what})`);
        this.#fail(error);
        this.close();
        reject(error);
      }, timeoutMs);
    });
    try {
      return await Promise.race([step, this.#failed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.#closing = true;
    this.#signal?.removeEventListener('abort', this.#onAbortSignal);
    if (!this.#socket.destroyed) {
      this.#socket.end();
      // Give the A-RELEASE-RP / A-ABORT a moment to leave, then make sure the socket is gone.
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    }
  }
}

const REJECT_REASONS: Readonly<Record<string, string>> = {
  '1:1': 'no reason given',
  '1:2': 'application context name not supported',
  '1:3': 'calling AE title not recognized',
  '1:7': 'called AE title not recognized',
  '2:1': 'no reason given (ACSE)',
  '2:2': 'protocol version not supported',
  '3:1': 'temporary congestion',
  '3:2': 'local limit exceeded',
};

function describeReject({ result, source, reason }: RejectInfo): string {
  const what = REJECT_REASONS[`${source}:${reason}`] ?? `source ${source}, reason ${reason}`;
  return `${what} (${result === 1 ? 'permanent' : 'transient'})`;
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return typeof reason === 'string' ? reason : 'aborted';
}
