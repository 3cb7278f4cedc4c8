import { readFile } from 'node:fs/promises';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger, MllpConfig } from '@simpul/infra';
import type { IngestPublisher, PeerInfo } from './accept-message.ts';
import { acceptMessage } from './accept-message.ts';
import { DuplicateWindow } from './duplicate-window.ts';
import { MllpConnection } from './mllp-connection.ts';
import type { MllpSourceConfig } from './source-settings.ts';

export interface MllpListenerDeps {
  /** Where accepted messages go (`Bus` from `@simpul/infra`). */
  bus: IngestPublisher;
  logger: Logger;
}

export interface MllpListeners {
  /** Source name → the port it listens on (the real one when the config said 0). */
  ports: Record<string, number>;
  /** Graceful: stop accepting, let frames already received be stored and answered, close connections. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

const DEFAULT_CLOSE_DEADLINE_MS = 10_000;

/**
 * `simpul mllp`: one socket per configured source, bound to the source's host and port, plain TCP
 * or TLS. Every accepted connection is an `MllpConnection`; every frame goes through
 * `acceptMessage`. If one source cannot listen, the ones already started are closed and the error
 * is thrown.
 */
export async function startMllpListeners(config: MllpConfig, deps: MllpListenerDeps): Promise<MllpListeners> {
  const started: SourceListener[] = [];
  try {
    for (const source of config.sources) {
      started.push(await listen(source, config.duplicateCacheEntries, deps));
    }
  } catch (error) {
    await Promise.all(started.map((listener) => listener.close(0)));
    throw error;
  }
  return {
    ports: Object.fromEntries(started.map((listener) => [listener.source.name, listener.port])),
    async close(options = {}) {
      const deadlineMs = options.deadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS;
      await Promise.all(started.map((listener) => listener.close(deadlineMs)));
    },
  };
}

interface SourceListener {
  source: MllpSourceConfig;
  port: number;
  close(deadlineMs: number): Promise<void>;
}

async function listen(source: MllpSourceConfig, duplicateCacheEntries: number, deps: MllpListenerDeps): Promise<SourceListener> {
  const logger = deps.logger.child({ source: source.name });
  const duplicates = new DuplicateWindow({ windowMs: source.duplicateWindowSeconds * 1000, maxEntries: duplicateCacheEntries });
  const connections = new Set<MllpConnection>();
  let listener = '';

  const onSocket = (socket: Socket, tls: boolean): void => {
    const peer: PeerInfo = { remoteAddress: formatAddress(socket.remoteAddress, socket.remotePort), listener, tls };
    const connection = new MllpConnection({
      socket,
      source,
      logger: logger.child({ remote: peer.remoteAddress, tls }),
      handleFrame: (frame) => acceptMessage(frame, peer, { source, publisher: deps.bus, duplicates, logger: deps.logger }),
    });
    connections.add(connection);
    void connection.closed.then(() => connections.delete(connection));
  };

  const server = source.tls ? await tlsServer(source, logger, (socket) => onSocket(socket, true)) : plainServer((socket) => onSocket(socket, false));
  server.maxConnections = source.maxConnections;
  server.on('drop', (dropped?: { remoteAddress?: string; remotePort?: number }) => {
    logger.warn({ remote: formatAddress(dropped?.remoteAddress, dropped?.remotePort), maxConnections: source.maxConnections }, 'MLLP connection refused: too many connections');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: source.host, port: source.port }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    throw new Error(`MLLP source "${source.name}" cannot listen on ${source.host}:${source.port}: ${(error as Error).message}`, { cause: error });
  });
  server.on('error', (error) => logger.error({ err: error }, 'MLLP server error'));

  const port = (server.address() as AddressInfo).port;
  listener = formatAddress(source.host, port);
  logger.info({ host: source.host, port, tls: Boolean(source.tls) }, 'MLLP listener ready');

  return {
    source,
    port,
    async close(deadlineMs) {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((connection) => connection.close(deadlineMs)));
      await stopped;
      logger.info({ port }, 'MLLP listener closed');
    },
  };
}

function plainServer(onSocket: (socket: Socket) => void): Server {
  return createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true }, onSocket);
}

async function tlsServer(source: MllpSourceConfig, logger: Logger, onSocket: (socket: TLSSocket) => void): Promise<Server> {
  const tls = source.tls;
  if (!tls) throw new Error('unreachable: tlsServer without tls settings');
  const [cert, key, ca] = await Promise.all([
    readSetting(source, 'tls.certFile', tls.certFile),
    readSetting(source, 'tls.keyFile', tls.keyFile),
    tls.caFile ? readSetting(source, 'tls.caFile', tls.caFile) : undefined,
  ]);
  const server = createTlsServer(
    {
      cert,
      key,
      ca,
      requestCert: tls.requireClientCert || tls.caFile !== undefined,
      rejectUnauthorized: tls.requireClientCert,
      allowHalfOpen: true,
      handshakeTimeout: source.idleTimeoutSeconds * 1000,
    },
    onSocket,
  );
  server.on('tlsClientError', (error, socket) => {
    logger.warn({ remote: formatAddress(socket.remoteAddress, socket.remotePort), err: error.message }, 'MLLP TLS handshake failed');
  });
  return server;
}

async function readSetting(source: MllpSourceConfig, setting: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`MLLP source "${source.name}": cannot read ${setting} ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function formatAddress(host: string | undefined, port: number | undefined): string {
  if (!host) return 'unknown';
  const shown = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? shown : `${shown}:${port}`;
}
