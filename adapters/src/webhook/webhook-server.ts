/**
 * The webhook receiver (`simpul webhook`): `POST /ingest/<source>` on its own port. Checks what an
 * edge can check (credentials, size, format, required fields or schema), publishes the body to
 * `simpul.ingest` (`webhook.<source>`) with a confirm, and answers 202 `{ messageId }` only then;
 * 503 while the bus cannot confirm. Mapping is the ingest worker's. An `Idempotency-Key` header
 * fixes the message id, so a repeated post is stored once.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EXCHANGES, newEnvelope, type Logger, type WebhookSourceConfig } from '@simpul/infra';
import { stableUuid } from '../ingest/hl7/transaction-builder.ts';
import { parseXmlBody, XmlBodyError } from '../mapping/index.ts';
import type { IngestPublisher } from '../sql/sql-poller.ts';
import { bearerToken, secretMatches } from './authenticate.ts';
import { compileBodyCheck, type BodyCheck } from './check-body.ts';

export interface WebhookServerOptions {
  sources: readonly WebhookSourceConfig[];
  publisher: IngestPublisher;
  logger: Logger;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Verifies hub access tokens for sources with `oauthClientIds`. */
  verifyHubToken?: (token: string, clientIds: readonly string[]) => Promise<boolean>;
}

export interface WebhookServer {
  port: number;
  close(): Promise<void>;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,200}$/;

interface Source {
  config: WebhookSourceConfig;
  check: BodyCheck;
}

class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const sources = new Map<string, Source>(
    options.sources.map((config, index) => [config.name, { config, check: compileBodyCheck(config, `webhook.sources[${index}]`) }]),
  );
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((err: unknown) => {
      options.logger.error({ err }, 'webhook request failed unexpectedly');
      if (!response.headersSent) send(response, 500, outcome('exception', 'internal error; the body was not stored'));
    });
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 30_000;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://webhook');
    const match = /^\/ingest\/([A-Za-z0-9][A-Za-z0-9_-]{0,62})\/?$/.exec(url.pathname);
    const source = match ? sources.get(match[1]) : undefined;
    const log = options.logger.child({ source: match?.[1], remote: request.socket.remoteAddress });
    try {
      if (!source) throw new HttpProblem(404, 'not-found', `no webhook source at ${url.pathname} (POST /ingest/<source>)`);
      if (request.method !== 'POST') throw new HttpProblem(405, 'not-supported', 'only POST is accepted', { allow: 'POST' });
      await authenticate(request, source.config);
      const contentType = checkContentType(request, source.config);
      const raw = await readBody(request, source.config.maxBodyBytes);
      const parsed = parse(raw, source.config.contentType);
      const problem = source.check(parsed);
      if (problem) throw new HttpProblem(400, 'invalid', problem);
      const idempotencyKey = request.headers['idempotency-key'];
      if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey))) {
        throw new HttpProblem(400, 'invalid', 'Idempotency-Key must be 1 to 200 printable ASCII characters without spaces');
      }
      const id = idempotencyKey ? stableUuid(`webhook\n${source.config.name}\n${idempotencyKey}`) : randomUUID();
      const envelope = newEnvelope({
        id,
        kind: 'webhook',
        source: source.config.name,
        contentType,
        // JSON travels parsed (the message store keeps it as JSON text); XML as the text received.
        body: source.config.contentType === 'json' ? parsed : raw.toString('utf8'),
        headers: { rowKey: idempotencyKey ?? id, ...(idempotencyKey ? { idempotencyKey } : {}) },
      });
      try {
        await options.publisher.publish(EXCHANGES.ingest, `webhook.${source.config.name}`, envelope);
      } catch (err) {
        log.error({ err: (err as Error).message, messageId: id }, 'webhook body not stored: the bus did not confirm');
        throw new HttpProblem(503, 'transient', 'the message could not be stored now; retry later', { 'retry-after': '5' });
      }
      log.info({ messageId: id, traceId: envelope.traceId, bytes: raw.length }, 'webhook body stored');
      send(response, 202, { messageId: id });
    } catch (err) {
      if (!(err instanceof HttpProblem)) throw err;
      if (err.status !== 404 && err.status !== 503) log.warn({ status: err.status, reason: err.message }, 'webhook body refused');
      // The rest of a refused body is not read: the connection is closed after the answer.
      send(response, err.status, outcome(err.code, err.message), { ...err.headers, ...(request.complete ? {} : { connection: 'close' }) });
      if (!request.complete) request.resume();
    }
  }

  async function authenticate(request: IncomingMessage, source: WebhookSourceConfig): Promise<void> {
    const token = bearerToken(request.headers.authorization);
    const challenge = { 'www-authenticate': 'Bearer realm="simpul-webhook"' };
    if (!token) throw new HttpProblem(401, 'login', 'Authorization: Bearer <secret or hub access token> is required', challenge);
    if (source.secret && secretMatches(token, source.secret)) return;
    if (source.oauthClientIds.length > 0 && options.verifyHubToken && (await options.verifyHubToken(token, source.oauthClientIds))) return;
    throw new HttpProblem(401, 'login', 'the credentials are not valid for this source', challenge);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

function checkContentType(request: IncomingMessage, source: WebhookSourceConfig): string {
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const ok = source.contentType === 'json' ? type === 'application/json' || type.endsWith('+json') : type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml');
  if (!ok) throw new HttpProblem(415, 'not-supported', `this source takes ${source.contentType === 'json' ? 'application/json' : 'application/xml'}, got ${type || 'no Content-Type'}`);
  return source.contentType === 'json' ? 'application/json' : 'application/xml';
}

async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new HttpProblem(413, 'too-costly', `the body is larger than this source's limit of ${maxBytes} bytes`);
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  if (size === 0) throw new HttpProblem(400, 'invalid', 'the body is empty');
  return Buffer.concat(chunks);
}

function parse(raw: Buffer, format: 'json' | 'xml'): unknown {
  const text = raw.toString('utf8');
  if (format === 'xml') {
    try {
      return parseXmlBody(text);
    } catch (err) {
      if (err instanceof XmlBodyError) throw new HttpProblem(400, 'invalid', err.message);
      throw err;
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new HttpProblem(400, 'invalid', `not JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object') throw new HttpProblem(400, 'invalid', 'the body must be a JSON object or array');
  return parsed;
}

function outcome(code: string, diagnostics: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': status === 202 ? 'application/json' : 'application/fhir+json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}
