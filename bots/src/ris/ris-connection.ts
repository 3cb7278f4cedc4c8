import { Hl7Message } from '@medplum/core';
import { Hl7Client, type Hl7Connection, type Hl7MessageEvent } from '@medplum/hl7';
import { RetryableDeliveryError } from '../routing/destination-driver.ts';

/**
 * One MLLP connection to one RIS, kept open across deliveries and reopened when it closed.
 * Original-mode HL7 is one message in flight per connection: `exchange` sends one message and
 * takes the next message the RIS sends as its answer, and exchanges queue behind each other. After
 * anything but a clean answer (timeout, abort, close, an answer to another control id) the
 * connection is dropped, so a late ACK can never be read as the answer to a later message.
 *
 * `@medplum/hl7` carries its own copy of `@medplum/core` (another version), so its Hl7Message is
 * another class: messages cross over as text (it only calls `toString()` on what it sends).
 */
type WireMessage = Parameters<Hl7Connection['send']>[0];

export class RisConnection {
  readonly host: string;
  readonly port: number;
  private readonly client: Hl7Client;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(host: string, port: number, connectTimeoutMs: number) {
    this.host = host;
    this.port = port;
    this.client = new Hl7Client({ host, port, connectTimeout: connectTimeoutMs, keepAlive: true });
  }

  /** Sends `message` and resolves with the RIS's answer, whatever it is; retryable errors for every transport failure. */
  exchange(message: Hl7Message, options: { timeoutMs: number; signal: AbortSignal }): Promise<Hl7Message> {
    const run = this.tail.then(() => this.exchangeNow(message, options));
    this.tail = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }

  private async exchangeNow(message: Hl7Message, options: { timeoutMs: number; signal: AbortSignal }): Promise<Hl7Message> {
    const where = `RIS ${this.host}:${this.port}`;
    if (options.signal.aborted) throw new RetryableDeliveryError(`the attempt's time ran out before sending to the ${where}`);
    const connection = await this.open(where, options.signal);
    const text = message.toString();
    try {
      return await new Promise<Hl7Message>((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          connection.removeEventListener('message', onMessage);
          connection.removeEventListener('close', onClose);
          options.signal.removeEventListener('abort', onAbort);
        };
        const fail = (text: string) => {
          cleanup();
          reject(new RetryableDeliveryError(text));
        };
        const onMessage = (event: Hl7MessageEvent) => {
          cleanup();
          resolve(Hl7Message.parse(event.message.toString()));
        };
        const onClose = () => fail(`the ${where} closed the connection before answering`);
        const onAbort = () => fail(`the attempt's time ran out while waiting for the ${where} to answer`);
        const timer = setTimeout(() => fail(`no answer from the ${where} within ${options.timeoutMs} ms (timeoutMs)`), options.timeoutMs);
        connection.addEventListener('message', onMessage);
        connection.addEventListener('close', onClose);
        options.signal.addEventListener('abort', onAbort);
        connection.send({ toString: () => text } as WireMessage);
      });
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  private async open(where: string, signal: AbortSignal): Promise<Hl7Connection> {
    const current = this.client.connection;
    // A socket can be closed before the client has seen its close event; start over then.
    if (current?.isClosed()) await this.close();
    let connection: Hl7Connection;
    try {
      connection = await abortable(this.client.connect(), signal);
    } catch (error) {
      await this.close();
      if (error instanceof RetryableDeliveryError) throw error;
      const reason = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);
      throw new RetryableDeliveryError(`cannot connect to the ${where}: ${reason}`, { cause: error });
    }
    // An idle connection must not keep the worker alive; the timers of an exchange in flight do.
    connection.socket.unref();
    return connection;
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RetryableDeliveryError("the attempt's time ran out while connecting to the RIS"));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * The connections of one worker, one per destination (keyed by name and address, so a changed
 * address gets a new connection and the old one is closed).
 */
export class RisConnectionPool {
  private readonly connections = new Map<string, RisConnection>();

  get(destinationName: string, host: string, port: number, connectTimeoutMs: number): RisConnection {
    const existing = this.connections.get(destinationName);
    if (existing && existing.host === host && existing.port === port) return existing;
    if (existing) void existing.close();
    const connection = new RisConnection(host, port, connectTimeoutMs);
    this.connections.set(destinationName, connection);
    return connection;
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((connection) => connection.close()));
  }
}
