import type { Socket } from 'node:net';
import dimse from 'dcmjs-dimse';
import type { association as dimseAssociation, requests, responses } from 'dcmjs-dimse';
import type { Logger } from '@simpul/infra';
import { checkAssociation, normaliseAeTitle, type AssociationPolicy } from './association-policy.ts';
import { encodeStoreResponse, type DimseCommand } from './dimse-command.ts';
import { InstanceReceiver, type ReceiverLimits } from './instance-receiver.ts';
import { part10Header } from './part10-header.ts';
import { PduRouter, abortPdu, pdataPdu, type DatasetSink, type PduViolation } from './pdu-router.ts';
import { negotiatePresentationContexts } from './presentation-contexts.ts';
import { readInstanceMetadata, storeInstance, type InstanceMetadataRead, type StoreContext } from './store-instance.ts';
import { STORE_STATUS, formatStatus, isSuccessStatus, type StoreOutcome } from './store-status.ts';

/**
 * One association with a modality. dcmjs-dimse's Scp does the association itself (A-ASSOCIATE
 * negotiation, release, abort) and C-ECHO; C-STORE bypasses it: the PduRouter streams each data set into
 * an InstanceReceiver, `storeInstance` keeps and announces it, and only then is the C-STORE-RSP written,
 * with success or the failure status saying why not.
 */

const { PresentationContextResult, Status } = dimse.constants;
const { CEchoResponse } = dimse.responses;

export interface AssociationDeps {
  readonly policy: AssociationPolicy;
  readonly maxPduLength: number;
  /** An association that sends nothing for this long is closed. */
  readonly idleTimeoutMs: number;
  readonly receiverLimits: ReceiverLimits;
  readonly store: StoreContext;
  readonly logger: Logger;
  /** Associations open now, this one included. */
  readonly openAssociations: () => number;
  /** Called with every C-STORE outcome (metrics, benchmarks). */
  readonly onStored?: (outcome: StoreOutcome, elapsedMs: number) => void;
}

/** Effectively off: the library's PDU clock only sees the PDUs it handles; idleness is the socket's timeout. */
const LIBRARY_TIMER_OFF_MS = 365 * 24 * 3600 * 1000;

export class StoreScp extends dimse.Scp {
  readonly #deps: AssociationDeps;
  readonly #socket: Socket;
  readonly #remoteAddress: string;
  #log: Logger;
  #association: dimseAssociation.Association | undefined;
  #established = false;
  #callingAeTitle = '';
  #calledAeTitle = '';
  readonly #inFlight = new Set<Promise<void>>();

  constructor(socket: Socket, deps: AssociationDeps) {
    // connectTimeout is the socket's inactivity timeout (the library closes the connection on it).
    super(socket, { connectTimeout: deps.idleTimeoutMs, associationTimeout: LIBRARY_TIMER_OFF_MS, pduTimeout: LIBRARY_TIMER_OFF_MS });
    this.#deps = deps;
    this.#socket = socket;
    this.#remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.#log = deps.logger.child({ remote: this.#remoteAddress });
    // The library listens to the socket itself; its listener now gets only what the router passes on.
    const libraryListeners = socket.listeners('data') as ((chunk: Buffer) => void)[];
    for (const listener of libraryListeners) socket.off('data', listener);
    const router = new PduRouter(deps.maxPduLength, {
      toLibrary: (pdu) => libraryListeners.forEach((listener) => listener(pdu)),
      associationEstablished: () => this.#established,
      storeCommand: (command, contextId) => this.#receive(command, contextId),
      violation: (violation) => this.#abort(violation),
    });
    socket.on('data', (chunk: Buffer) => router.push(chunk));
  }

  /** Resolves when every C-STORE received so far has been answered. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  override associationRequested(association: dimseAssociation.Association): void {
    this.#association = association;
    this.#callingAeTitle = normaliseAeTitle(association.getCallingAeTitle());
    this.#calledAeTitle = normaliseAeTitle(association.getCalledAeTitle());
    this.#log = this.#log.child({ callingAe: this.#callingAeTitle, calledAe: this.#calledAeTitle });
    const rejection = checkAssociation(
      { callingAeTitle: this.#callingAeTitle, calledAeTitle: this.#calledAeTitle, openAssociations: this.#deps.openAssociations() },
      this.#deps.policy,
    );
    if (rejection) {
      this.#log.warn({ reason: rejection.why }, 'association rejected');
      this.sendAssociationReject(rejection.result, rejection.source, rejection.reason);
      return;
    }
    const decisions = negotiatePresentationContexts(association);
    association.setMaxPduLength(this.#deps.maxPduLength);
    this.sendAssociationAccept();
    this.#established = true;
    const refused = decisions.filter((decision) => !decision.accepted);
    this.#log.info(
      { accepted: decisions.length - refused.length, refused: refused.map((d) => `${d.abstractSyntax} (${d.reason})`) },
      'association accepted',
    );
  }

  override associationReleaseRequested(): void {
    // Released only once the last C-STORE is answered.
    void this.settled().then(() => this.sendAssociationReleaseResponse());
  }

  override cEchoRequest(request: requests.CEchoRequest, callback: (response: responses.CEchoResponse) => void): void {
    const response = CEchoResponse.fromRequest(request);
    response.setStatus(Status.Success);
    callback(response);
  }

  override abort(source: number, reason: number): void {
    this.#log.warn({ source, reason }, 'the peer aborted the association');
  }

  /** A C-STORE-RQ arrived: opens the receiver for its data set and answers once it is stored. */
  #receive(command: DimseCommand, contextId: number): DatasetSink {
    const startedAt = performance.now();
    const context = this.#association?.getPresentationContext(contextId);
    const transferSyntaxUid = context?.getAcceptedTransferSyntaxUid() ?? '';
    const contextAccepted = context?.getResult() === PresentationContextResult.Accept && transferSyntaxUid !== '';
    const header = part10Header({
      sopClassUid: command.affectedSopClassUid,
      sopInstanceUid: command.affectedSopInstanceUid,
      transferSyntaxUid: contextAccepted ? transferSyntaxUid : '1.2.840.10008.1.2.1',
      sourceAeTitle: this.#callingAeTitle || 'UNKNOWN',
    });
    let metadata: InstanceMetadataRead | undefined;
    const receiver = new InstanceReceiver({
      header,
      transferSyntaxUid,
      incomingDir: this.#deps.store.incomingDir,
      limits: this.#deps.receiverLimits,
      onPrefix: (prefix) => {
        if (!contextAccepted) return;
        metadata = readInstanceMetadata(
          { sopClassUid: command.affectedSopClassUid, sopInstanceUid: command.affectedSopInstanceUid, transferSyntaxUid, callingAeTitle: this.#callingAeTitle, header },
          prefix,
          this.#deps.store.timeZone,
        );
      },
    });
    const work = this.#store(command, receiver, header, transferSyntaxUid, contextAccepted, () => metadata).then(
      (outcome) => this.#answer(command, contextId, outcome, startedAt),
      (error: unknown) => {
        this.#log.error({ err: error, sopInstanceUid: command.affectedSopInstanceUid }, 'C-STORE failed unexpectedly');
        this.#answer(command, contextId, { status: STORE_STATUS.outOfResources, reason: `unexpected failure: ${(error as Error).message}` }, startedAt);
      },
    );
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
    return {
      write: (chunk) => {
        if (!receiver.write(chunk)) {
          // The receiver is spilling to a disk that has fallen behind: stop reading until it catches up.
          this.#socket.pause();
          receiver.once('drain', () => this.#socket.resume());
        }
      },
      end: () => receiver.end(),
    };
  }

  async #store(
    command: DimseCommand,
    receiver: InstanceReceiver,
    header: Buffer,
    transferSyntaxUid: string,
    contextAccepted: boolean,
    earlyMetadata: () => InstanceMetadataRead | undefined,
  ): Promise<StoreOutcome> {
    const received = await receiver.received();
    if (!contextAccepted) {
      await receiver.discard();
      return { status: STORE_STATUS.sopClassNotSupported, reason: 'the data set came on a presentation context that was not accepted' };
    }
    const outcome = await storeInstance(
      {
        sopClassUid: command.affectedSopClassUid,
        sopInstanceUid: command.affectedSopInstanceUid,
        transferSyntaxUid,
        callingAeTitle: this.#callingAeTitle,
        calledAeTitle: this.#calledAeTitle,
        remoteAddress: this.#remoteAddress,
        received,
        header,
        metadata: earlyMetadata(),
      },
      this.#deps.store,
    );
    if (!outcome.path) await receiver.discard();
    return outcome;
  }

  #answer(command: DimseCommand, contextId: number, outcome: StoreOutcome, startedAt: number): void {
    const elapsedMs = performance.now() - startedAt;
    if (!this.#socket.destroyed) {
      this.#socket.write(pdataPdu(contextId, encodeStoreResponse(command, outcome.status, outcome.reason), true));
    }
    const details = {
      sopInstanceUid: command.affectedSopInstanceUid,
      status: formatStatus(outcome.status),
      ms: Math.round(elapsedMs * 10) / 10,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      ...(outcome.duplicate ? { duplicate: true } : {}),
    };
    if (isSuccessStatus(outcome.status) && !outcome.reason) {
      this.#log.debug(details, 'instance stored');
    } else {
      this.#log.warn(details, isSuccessStatus(outcome.status) ? 'instance stored with a warning' : 'instance refused');
    }
    this.#deps.onStored?.(outcome, elapsedMs);
  }

  #abort(violation: PduViolation): void {
    this.#log.warn({ reason: violation.message }, 'association aborted');
    this.#socket.pause();
    this.#socket.write(abortPdu(violation.reason), () => this.#socket.destroy());
  }
}
