import { Hl7Message } from '@medplum/core';
import type { Hl7Connection, Hl7ErrorEvent } from '@medplum/hl7';
import { Hl7Client, ReturnAckCategory } from '@medplum/hl7';
import type { Logger } from '@simpul/infra';
import { PermanentError, RetryableError } from '@simpul/infra';

/**
 * Sends HL7 v2 messages over MLLP to one receiver (the RIS bot's way out), on `@medplum/hl7`'s
 * `Hl7Client`: one message at a time, each attempt waits for the ACK with a timeout, MSA-1 decides.
 * - AA / CA: delivered.
 * - AR / CR: `MllpRejectedError` (a `PermanentError`: the receiver refuses this message; resending
 *   it unchanged cannot help), at once.
 * - AE / CE, a timeout, a refused or dropped connection: retried on a fresh connection with
 *   exponential backoff and jitter, the same MSH-10 each time (so the receiver can spot a
 *   duplicate); after `maxAttempts`, `MllpDeliveryError` (a `RetryableError`: the bot runner retries
 *   later through its retry queues).
 * The ACK arrives as a message built by `@medplum/hl7`'s own copy of `@medplum/core`: it is read
 * through its methods only, never `instanceof`.
 */

export interface MllpSenderOptions {
  host: string;
  port: number;
  /** Character encoding on the wire, as iconv-lite names it (match MSH-18). Default `utf-8`. */
  encoding?: string;
  /** Default 10000. */
  connectTimeoutMs?: number;
  /** How long one attempt waits for the ACK. Default 30000. */
  ackTimeoutMs?: number;
  /** Attempts per message, the first included. Default 3. */
  maxAttempts?: number;
  /** First pause between attempts, doubled each time (with jitter) up to `maxRetryDelayMs`. Defaults 1000 and 30000. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Enhanced mode: `first` resolves on the commit ACK (CA), `application` waits for the application ACK. Default `first`. */
  waitFor?: 'first' | 'application';
  logger?: Logger;
}

export interface MllpSendOptions {
  /** Overrides `ackTimeoutMs` for this message. */
  timeoutMs?: number;
}

export interface MllpSendResult {
  ackCode: 'AA' | 'CA';
  controlId: string;
  attempts: number;
  /** The ACK as received. */
  ack: string;
}

interface AckDetails {
  ackCode?: string;
  /** ERR-8, else ERR-3.2, else MSA-3. */
  errorText?: string;
  ack?: string;
}

export class MllpRejectedError extends PermanentError {
  readonly ackCode: string;
  readonly errorText?: string;
  readonly ack?: string;

  constructor(message: string, details: AckDetails & { ackCode: string }) {
    super(message);
    this.name = 'MllpRejectedError';
    this.ackCode = details.ackCode;
    this.errorText = details.errorText;
    this.ack = details.ack;
  }
}

export class MllpDeliveryError extends RetryableError {
  readonly ackCode?: string;
  readonly errorText?: string;
  readonly ack?: string;
  attempts = 0;

  constructor(message: string, details: AckDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MllpDeliveryError';
    this.ackCode = details.ackCode;
    this.errorText = details.errorText;
    this.ack = details.ack;
  }
}

/** The parts of an ACK this sender reads (works for either copy of `@medplum/core`). */
interface AckLike {
  getSegment(name: string): { getField(index: number): { toString(): string; getComponent(index: number): string } | undefined } | undefined;
  toString(): string;
}

export class MllpSender {
  readonly #options: Required<Omit<MllpSenderOptions, 'logger' | 'encoding'>> & Pick<MllpSenderOptions, 'logger' | 'encoding'>;
  #client: Hl7Client | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: MllpSenderOptions) {
    this.#options = {
      connectTimeoutMs: 10_000,
      ackTimeoutMs: 30_000,
      maxAttempts: 3,
      retryDelayMs: 1_000,
      maxRetryDelayMs: 30_000,
      waitFor: 'first',
      ...options,
    };
    if (!Number.isSafeInteger(this.#options.maxAttempts) || this.#options.maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a whole number of at least 1, got ${String(this.#options.maxAttempts)}`);
    }
  }

  /** Sends `message` (an Hl7Message or its text) and resolves with the positive ACK; see the class notes for failures. */
  sendAndWait(message: Hl7Message | string, options: MllpSendOptions = {}): Promise<MllpSendResult> {
    const parsed = typeof message === 'string' ? Hl7Message.parse(message) : message;
    const controlId = parsed.getSegment('MSH')?.getField(10)?.toString() ?? '';
    if (!controlId) return Promise.reject(new PermanentError('the message has no MSH-10 (message control id); the ACK could not be matched'));
    const run = this.#queue.then(() => this.#deliver(parsed, controlId, options.timeoutMs ?? this.#options.ackTimeoutMs));
    // The chain only orders the sends; each caller gets its own outcome from `run`.
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    await this.#dropConnection();
  }

  async #deliver(message: Hl7Message, controlId: string, timeoutMs: number): Promise<MllpSendResult> {
    const { maxAttempts } = this.#options;
    let failure: MllpDeliveryError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (this.#closed) throw new MllpDeliveryError('the MLLP sender is closed');
      try {
        const ack = await this.#attempt(message, timeoutMs);
        const details = readAck(ack);
        const receivedFor = ack.getSegment('MSA')?.getField(2)?.toString() ?? '';
        if (receivedFor !== controlId) {
          failure = new MllpDeliveryError(`ACK for control id "${receivedFor}" instead of "${controlId}"`, details);
        } else if (details.ackCode === 'AA' || details.ackCode === 'CA') {
          return { ackCode: details.ackCode, controlId, attempts: attempt, ack: details.ack ?? '' };
        } else if (details.ackCode === 'AR' || details.ackCode === 'CR') {
          throw new MllpRejectedError(`${this.#where()} rejected message ${controlId} (${details.ackCode}): ${details.errorText ?? 'no reason given'}`, {
            ...details,
            ackCode: details.ackCode,
          });
        } else {
          failure = new MllpDeliveryError(`${this.#where()} answered ${details.ackCode ?? 'no MSA-1'} to message ${controlId}: ${details.errorText ?? 'no reason given'}`, details);
        }
      } catch (error) {
        if (error instanceof MllpRejectedError) throw error;
        failure = new MllpDeliveryError(`sending message ${controlId} to ${this.#where()} failed: ${(error as Error).message}`, {}, { cause: error });
        await this.#dropConnection();
      }
      this.#options.logger?.warn({ controlId, attempt, maxAttempts, err: failure.message }, 'MLLP delivery attempt failed');
      if (attempt < maxAttempts) await sleep(this.#backoff(attempt));
    }
    if (!failure) throw new Error('unreachable: no attempt made');
    failure.attempts = maxAttempts;
    throw failure;
  }

  async #attempt(message: Hl7Message, timeoutMs: number): Promise<AckLike> {
    this.#client ??= this.#newClient();
    const connection: Hl7Connection = await this.#client.connect();
    connection.socket.setNoDelay(true);
    return new Promise<AckLike>((resolve, reject) => {
      // Hl7Connection does not fail a pending send when the peer closes; this does.
      const onClose = (): void => reject(new Error('the connection closed before the ACK arrived'));
      connection.addEventListener('close', onClose);
      const returnAck = this.#options.waitFor === 'application' ? ReturnAckCategory.APPLICATION : ReturnAckCategory.FIRST;
      // Typed against @medplum/hl7's nested copy of @medplum/core; it only calls getSegment and toString.
      const wireMessage = message as unknown as Parameters<Hl7Connection['sendAndWait']>[0];
      connection
        .sendAndWait(wireMessage, { timeoutMs, returnAck })
        .then(resolve, (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))))
        .finally(() => connection.removeEventListener('close', onClose));
    });
  }

  #newClient(): Hl7Client {
    const client = new Hl7Client({
      host: this.#options.host,
      port: this.#options.port,
      encoding: this.#options.encoding,
      keepAlive: true,
      connectTimeout: this.#options.connectTimeoutMs,
    });
    client.addEventListener('error', (event: Hl7ErrorEvent) => {
      this.#options.logger?.warn({ err: event.error.message, receiver: this.#where() }, 'MLLP client error');
    });
    return client;
  }

  /** Closes the current connection; the next attempt opens a new one. */
  async #dropConnection(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.close();
  }

  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#options.maxRetryDelayMs, this.#options.retryDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  #where(): string {
    return `${this.#options.host}:${this.#options.port}`;
  }
}

function readAck(ack: AckLike): AckDetails {
  const msa = ack.getSegment('MSA');
  const err = ack.getSegment('ERR');
  const errorText = err?.getField(8)?.toString() || err?.getField(3)?.getComponent(2) || msa?.getField(3)?.toString() || undefined;
  return { ackCode: msa?.getField(1)?.toString().toUpperCase() || undefined, errorText, ack: ack.toString() };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
