import { setTimeout as sleep } from 'node:timers/promises';
import type { AsyncMessage, Connection, Consumer, ConsumerProps } from 'rabbitmq-client';
import { ConsumerStatus } from 'rabbitmq-client';
import type { BusLogger } from './bus-logger.ts';
import type { ConfirmingPublisher } from './confirming-publisher.ts';
import type { AmqpHeaders } from './delivery-headers.ts';
import { attemptsMade, deadHeaders, retryHeaders } from './delivery-headers.ts';
import type { Envelope } from './envelope.ts';
import { BusError, describeError, PermanentError } from './errors.ts';
import type { FailureRoute, RetryPlan } from './failure-route.ts';
import type { BusSubscription } from './message-bus.ts';
import { routeFailure } from './failure-route.ts';
import { bodyBytes, decodeEnvelope } from './message-body.ts';

export interface Delivery {
  queue: string;
  /** 1 on the first try; also in `envelope.attempt`. */
  attempt: number;
  maxAttempts: number;
  /** The broker delivered it before and it was not acknowledged (a consumer died mid-work). */
  redelivered: boolean;
  headers: AmqpHeaders;
}

/**
 * Resolve to acknowledge. Throw `PermanentError` to dead-letter at once; throw anything else to
 * retry later. Must be idempotent on `envelope.id`: a message can arrive more than once.
 */
export type EnvelopeHandler<TBody = unknown> = (envelope: Envelope<TBody>, delivery: Delivery) => Promise<void> | void;

export interface SubscriptionSetup {
  connection: Connection;
  publisher: ConfirmingPublisher;
  logger: BusLogger;
  queue: string;
  plan: RetryPlan;
  /** Queue declaration, bindings and QoS, re-applied by rabbitmq-client on every reconnect. */
  consumerProps: ConsumerProps;
  /** Pause before handing a message back when it could not be moved to a retry or dead queue. */
  requeueDelayMs: number;
  handler: EnvelopeHandler<any>;
  onClosed?: (subscription: Subscription) => void;
}

/**
 * One consumer of one queue, acknowledging manually: a message is acked only after the handler
 * resolved, or after the broker confirmed its copy in the retry or dead queue. If that copy cannot
 * be made it is negatively acknowledged with requeue, so nothing is dropped.
 */
export class Subscription implements BusSubscription {
  readonly queue: string;
  readonly #setup: SubscriptionSetup;
  readonly #consumer: Consumer;
  #running = 0;
  #closing: Promise<void> | undefined;

  private constructor(setup: SubscriptionSetup) {
    this.#setup = setup;
    this.queue = setup.queue;
    this.#consumer = setup.connection.createConsumer({ ...setup.consumerProps, queue: setup.queue, noAck: false, requeue: true }, (message) =>
      this.#process(message),
    );
  }

  /** Resolves once the consumer is registered with the broker; rejects if its setup fails. */
  static async start(setup: SubscriptionSetup): Promise<Subscription> {
    const subscription = new Subscription(setup);
    const consumer = subscription.#consumer;
    // Attached first: an EventEmitter without an 'error' listener would throw.
    consumer.on('error', (error: unknown) => {
      setup.logger.warn({ queue: setup.queue, error: describeError(error) }, 'bus consumer error; rabbitmq-client recovers on its own');
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const onReady = (): void => {
          consumer.off('error', onError);
          resolve();
        };
        const onError = (error: unknown): void => {
          consumer.off('ready', onReady);
          reject(error instanceof Error ? error : new Error(String(error)));
        };
        consumer.once('ready', onReady);
        consumer.once('error', onError);
      });
    } catch (error) {
      await subscription.close();
      throw new BusError('DECLARE_FAILED', `could not start consuming "${setup.queue}": ${describeError(error)}`, { cause: error });
    }
    return subscription;
  }

  /** Handlers running right now. */
  get inFlight(): number {
    return this.#running;
  }

  /** Stops taking messages, waits for running handlers, then closes the channel. Unstarted prefetched messages go back to the queue. */
  close(): Promise<void> {
    this.#closing ??= this.#consumer.close().finally(() => this.#setup.onClosed?.(this));
    return this.#closing;
  }

  async #process(message: AsyncMessage): Promise<ConsumerStatus> {
    this.#running++;
    try {
      return await this.#handle(message);
    } finally {
      this.#running--;
    }
  }

  async #handle(message: AsyncMessage): Promise<ConsumerStatus> {
    const { queue, plan, handler, logger } = this.#setup;
    const attempt = attemptsMade(message.headers) + 1;
    const decoded = decodeEnvelope(message.body);
    if (decoded.problem !== undefined) {
      const error = new PermanentError(`malformed envelope: ${decoded.problem}`);
      return this.#settleFailure(message, routeFailure(queue, plan, attempt, error, true), attempt, error);
    }
    const envelope = { ...decoded.envelope, attempt };
    const delivery: Delivery = { queue, attempt, maxAttempts: plan.maxAttempts, redelivered: message.redelivered, headers: message.headers ?? {} };
    try {
      await handler(envelope, delivery);
    } catch (error) {
      return this.#settleFailure(message, routeFailure(queue, plan, attempt, error), attempt, error);
    }
    logger.debug({ queue, messageId: envelope.id, traceId: envelope.traceId, attempt }, 'bus message handled');
    return ConsumerStatus.ACK;
  }

  async #settleFailure(message: AsyncMessage, route: FailureRoute, attempt: number, error: unknown): Promise<ConsumerStatus> {
    const { queue, publisher, logger, requeueDelayMs } = this.#setup;
    const lastError = describeError(error);
    const context = { queue, messageId: message.messageId, traceId: message.correlationId, attempt, error: lastError };
    if (route.action === 'requeue') {
      logger.error(context, `handler failed and "${queue}" has no dead-letter queue; requeueing`);
      return this.#requeueLater(requeueDelayMs);
    }
    const headers =
      route.action === 'retry'
        ? retryHeaders(message.headers, attempt, lastError)
        : deadHeaders(message.headers, { queue, attempts: attempt, reason: route.reason, lastError, at: new Date() });
    try {
      await publisher.send({
        exchange: '',
        routingKey: route.queue,
        body: bodyBytes(message.body),
        contentType: message.contentType ?? 'application/octet-stream',
        messageId: message.messageId,
        correlationId: message.correlationId,
        headers,
        mandatory: true,
      });
    } catch (publishError) {
      logger.error({ ...context, target: route.queue, publishError: describeError(publishError) }, 'could not move a failed message; requeueing');
      return this.#requeueLater(requeueDelayMs);
    }
    if (route.action === 'retry') logger.warn({ ...context, target: route.queue }, 'bus handler failed; retry scheduled');
    else logger.error({ ...context, target: route.queue, reason: route.reason }, 'bus message dead-lettered');
    return ConsumerStatus.ACK;
  }

  async #requeueLater(delayMs: number): Promise<ConsumerStatus> {
    await sleep(delayMs);
    return ConsumerStatus.REQUEUE;
  }
}
