import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import dimse from 'dcmjs-dimse';
import type { DicomConfig, Logger } from '@simpul/infra';
import { SIMPUL_IMPLEMENTATION_CLASS_UID } from '../data/write-dicom-file.ts';
import { KeyedSerializer } from '../../ingest/worker/keyed-serializer.ts';
import { DEFAULT_RECEIVER_LIMITS, type ReceiverLimits } from './instance-receiver.ts';
import { KnownDirectories } from './known-directories.ts';
import { ABORT_REASON, abortPdu } from './pdu-router.ts';
import type { InstancePublisher } from './store-instance.ts';
import { StoreScp, type AssociationDeps } from './store-scp.ts';
import type { StoreOutcome } from './store-status.ts';

/**
 * The C-STORE receiver (`simpul dicom`): a TCP listener of our own (dcmjs-dimse's Server binds every
 * interface and sets no socket options) that hands each connection to a StoreScp. Sockets get
 * TCP_NODELAY: without it Nagle's algorithm and delayed ACKs stall every small response.
 */

export type DicomScpConfig = Pick<
  DicomConfig,
  'port' | 'host' | 'aeTitle' | 'allowedCallingAeTitles' | 'maxPduLength' | 'maxAssociations' | 'maxInstanceBytes' | 'idleTimeoutSeconds' | 'timeZone'
>;

export interface DicomScpOptions {
  readonly config: DicomScpConfig;
  /** `storage.dir`: files go to `<dir>/dicom/<study>/<series>/<sop>.dcm`. */
  readonly storageDir: string;
  readonly publisher: InstancePublisher;
  readonly logger: Logger;
  readonly onStored?: (outcome: StoreOutcome, elapsedMs: number) => void;
  /** Overrides of the receiver's memory limits (tests, benchmarks). */
  readonly receiverLimits?: Partial<ReceiverLimits>;
}

export interface DicomScp {
  readonly port: number;
  readonly openAssociations: number;
  /** Stops accepting, answers the C-STOREs in progress, then aborts the open associations. */
  close(): Promise<void>;
}

/** How long `close` waits for the C-STOREs in progress before cutting the connections. */
const CLOSE_GRACE_MS = 10_000;
/** The library caps its own sends at 4 MiB; received PDUs are limited per association by maxPduLength. */
const LIBRARY_MAX_PDU = 16 * 1024 * 1024;

export async function startDicomScp(options: DicomScpOptions): Promise<DicomScp> {
  configureLibrary();
  const { config, logger } = options;
  const storageDir = resolve(options.storageDir);
  // Each process writes its not-yet-committed files to a directory of its own; `blobs gc` removes what a crash left.
  const incomingDir = join(storageDir, 'dicom', '.incoming', `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`);
  await mkdir(incomingDir, { recursive: true });
  const associations = new Map<Socket, StoreScp>();
  const directories = new KnownDirectories(storageDir);
  const deps: AssociationDeps = {
    policy: { aeTitle: config.aeTitle, allowedCallingAeTitles: config.allowedCallingAeTitles, maxAssociations: config.maxAssociations },
    maxPduLength: config.maxPduLength,
    idleTimeoutMs: config.idleTimeoutSeconds * 1000,
    receiverLimits: { ...DEFAULT_RECEIVER_LIMITS, maxInstanceBytes: config.maxInstanceBytes, ...options.receiverLimits },
    store: {
      storageDir,
      incomingDir,
      publisher: options.publisher,
      timeZone: config.timeZone,
      sopLocks: new KeyedSerializer(),
      directories,
    },
    logger: logger.child({ part: 'dicom' }),
    openAssociations: () => associations.size,
    onStored: options.onStored,
  };
  let closing = false;
  const server: Server = createServer((socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    accept(socket, deps, associations, logger);
  });
  // A hard cap against connection floods; the polite refusal (A-ASSOCIATE-RJ) happens below it.
  server.maxConnections = config.maxAssociations * 2 + 16;
  server.on('error', (error) => logger.error({ err: error }, 'DICOM listener error'));
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(config.port, config.host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const port = (server.address() as { port: number }).port;
  logger.info({ host: config.host, port, aeTitle: config.aeTitle, maxPduLength: config.maxPduLength }, 'DICOM receiver listening');
  return {
    port,
    get openAssociations() {
      return associations.size;
    },
    async close() {
      closing = true;
      const stopped = new Promise<void>((done) => server.close(() => done()));
      const grace = new Promise<void>((done) => setTimeout(done, CLOSE_GRACE_MS).unref());
      await Promise.race([Promise.all([...associations.values()].map((scp) => scp.settled())), grace]);
      for (const socket of associations.keys()) {
        socket.end(abortPdu(ABORT_REASON.notSpecified));
        socket.destroy();
      }
      await stopped;
      await directories.close();
      await rm(incomingDir, { recursive: true, force: true });
      logger.info('DICOM receiver stopped');
    },
  };
}

function accept(socket: Socket, deps: AssociationDeps, associations: Map<Socket, StoreScp>, logger: Logger): void {
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 30_000);
  const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  const scp = new StoreScp(socket, deps);
  // The library's own Server sets this on accepted sockets; its timers depend on it.
  (scp as unknown as { connected: boolean }).connected = true;
  associations.set(socket, scp);
  scp.on('networkError', (error: Error) => {
    logger.warn({ remote, err: error.message }, 'DICOM connection closed on an error');
    socket.destroy();
  });
  socket.once('close', () => associations.delete(socket));
}

let libraryConfigured = false;

/** dcmjs-dimse's settings are process-wide: its INFO logging (which halves throughput) off, our identity on. */
function configureLibrary(): void {
  if (libraryConfigured) return;
  libraryConfigured = true;
  dimse.log.setLevel('silent');
  dimse.Implementation.setMaxPduLength(LIBRARY_MAX_PDU);
  dimse.Implementation.setImplementationClassUid(SIMPUL_IMPLEMENTATION_CLASS_UID);
  dimse.Implementation.setImplementationVersion('SIMPUL');
}
