import { Connection } from 'rabbitmq-client';
import type { ConsumerProps, PublisherProps } from 'rabbitmq-client';
import { redactUrlCredentials } from '../config/redact.ts';
import type { BusLogger } from './bus-logger.ts';
import { silentLogger } from './bus-logger.ts';
import { ConfirmingPublisher } from './confirming-publisher.ts';
import type { PublisherDeclarations } from './confirming-publisher.ts';
import type { DeadLetter, ListDeadOptions, ReplayDeadOptions } from './dead-letters.ts';
import { listDead, replayDead } from './dead-letters.ts';
import { withTimeout } from './deadline.ts';
import type { Envelope } from './envelope.ts';
import { assertEnvelope, encodeEnvelope } from './envelope.ts';
import { BusError, describeError } from './errors.ts';
import type { RetryPlan } from './failure-route.ts';
import { countReadyMessages, queueExists } from './queue-probe.ts';
import type { EnvelopeHandler } from './subscription.ts';
import { Subscription } from './subscription.ts';
import type { ExchangeSpec, QueueSpec, Topology } from './topology.ts';
import type { BusOptions, ConsumeOptions, MessageBus, PublishOptions } from './message-bus.ts';
import { positiveInteger } from './arguments.ts';
import { assertQueueName, deadQueueName, retryQueueName } from './topology.ts';

const DEFAULTS = { publishTimeoutMs: 5_000, connectTimeoutMs: 10_000, checkTimeoutMs: 2_000, reconnectMinDelayMs: 1_000, reconnectMaxDelayMs: 30_000 };
const MAX_PROBED_RETRY_LEVELS = 20;
const MAX_ROUTING_KEY_BYTES = 255;

/**
 * The RabbitMQ client every Simpul process uses (DESIGN.md "The bus"): persistent publishing with
 * confirms, manual-ack consumers whose handler's outcome routes the message (ack, retry through
 * TTL queues, dead-letter), dead-letter browsing and replay, readiness. One connection per Bus;
 * rabbitmq-client reconnects on its own and re-declares the topology on every new channel.
 */
export class RabbitBus implements MessageBus {
  readonly #connection: Connection;
  readonly #logger: BusLogger;
  readonly #options: typeof DEFAULTS;
  readonly #publisher: ConfirmingPublisher;
  readonly #exchanges = new Map<string, ExchangeSpec>();
  readonly #queues = new Map<string, QueueSpec>();
  readonly #subscriptions = new Set<Subscription>();
  #closing: Promise<void> | undefined;

  private constructor(connection: Connection, logger: BusLogger, options: typeof DEFAULTS) {
    this.#connection = connection;
    this.#logger = logger;
    this.#options = options;
    this.#publisher = new ConfirmingPublisher(connection, options.publishTimeoutMs, {});
  }

  /** Connects (a vhost in the URL path is honoured: `amqp://u:p@host:5672/simpul`); rejects with CONNECT_FAILED if the broker cannot be reached in time. */
  static async connect(url: string, options: BusOptions = {}): Promise<RabbitBus> {
    if (typeof url !== 'string' || !/^amqps?:\/\//i.test(url)) {
      throw new BusError('INVALID_ARGUMENT', `the bus URL must start with amqp:// or amqps://, got ${JSON.stringify(redactUrlCredentials(String(url)))}`);
    }
    const settings = resolveOptions(options);
    const logger = options.logger ?? silentLogger();
    const where = redactUrlCredentials(url);
    const connection = new Connection({
      url,
      connectionName: options.connectionName,
      connectionTimeout: settings.connectTimeoutMs,
      retryLow: settings.reconnectMinDelayMs,
      retryHigh: settings.reconnectMaxDelayMs,
    });
    connection.on('error', (error: unknown) => logger.warn({ url: where, error: describeError(error) }, 'bus connection error; reconnecting'));
    connection.on('connection', () => logger.info({ url: where }, 'bus connected'));
    connection.on('connection.blocked', (reason: string) => logger.warn({ url: where, reason }, 'RabbitMQ blocked publishing'));
    connection.on('connection.unblocked', () => logger.info({ url: where }, 'RabbitMQ unblocked publishing'));
    try {
      await connection.onConnect(settings.connectTimeoutMs);
    } catch (error) {
      // onConnect has closed the connection already.
      throw new BusError('CONNECT_FAILED', `could not connect to RabbitMQ at ${where} within ${settings.connectTimeoutMs} ms: ${describeError(error)}`, {
        cause: error,
      });
    }
    return new RabbitBus(connection, logger, settings);
  }

  /** Declares exchanges, queues and bindings now (errors surface here) and after every reconnect. */
  async declare(topology: Topology): Promise<void> {
    this.#assertOpen();
    const channel = await this.#connection.acquire();
    let step = '';
    try {
      for (const exchange of topology.exchanges) {
        step = `exchange "${exchange.name}"`;
        await channel.exchangeDeclare(exchangeParams(exchange));
      }
      for (const queue of topology.queues) {
        assertQueueName(queue.name);
        step = `queue "${queue.name}"`;
        await channel.queueDeclare({ queue: queue.name, durable: true, arguments: queue.arguments });
        for (const binding of queue.bindings) {
          step = `binding of "${queue.name}" to "${binding.exchange}" (${binding.routingKey})`;
          await channel.queueBind({ queue: queue.name, exchange: binding.exchange, routingKey: binding.routingKey });
        }
      }
    } catch (error) {
      if (error instanceof BusError) throw error;
      throw new BusError('DECLARE_FAILED', `declaring ${step} failed: ${describeError(error)}`, { cause: error });
    } finally {
      await channel.close();
    }
    for (const exchange of topology.exchanges) this.#exchanges.set(exchange.name, exchange);
    for (const queue of topology.queues) this.#queues.set(queue.name, queue);
    this.#publisher.redeclare(this.#declarations());
  }

  /** Resolves once RabbitMQ confirmed the message is stored (publisher confirms). */
  async publish(exchange: string, routingKey: string, envelope: Envelope, options: PublishOptions = {}): Promise<void> {
    if (typeof exchange !== 'string') throw new BusError('INVALID_ARGUMENT', 'exchange must be a string');
    if (typeof routingKey !== 'string' || Buffer.byteLength(routingKey) > MAX_ROUTING_KEY_BYTES) {
      throw new BusError('INVALID_ARGUMENT', `routing key must be a string of at most ${MAX_ROUTING_KEY_BYTES} bytes`);
    }
    assertEnvelope(envelope);
    await this.#publisher.send({
      exchange,
      routingKey,
      body: encodeEnvelope(envelope),
      contentType: 'application/json',
      messageId: envelope.id,
      correlationId: envelope.traceId,
      mandatory: options.mandatory ?? true,
    });
  }

  /**
   * Consumes `queue` until the subscription or the bus is closed. The retry and dead-letter queues
   * are those declared through this bus, else the `<queue>.retry.<n>` / `<queue>.dead` that exist.
   */
  async consume<TBody = unknown>(queue: string, handler: EnvelopeHandler<TBody>, options: ConsumeOptions): Promise<Subscription> {
    this.#assertOpen();
    assertQueueName(queue);
    if (typeof handler !== 'function') throw new BusError('INVALID_ARGUMENT', 'handler must be a function');
    const prefetch = positiveInteger('prefetch', options.prefetch, 65_535);
    const concurrency = positiveInteger('concurrency', options.concurrency ?? prefetch, 65_535);
    const requeueDelayMs = positiveInteger('requeueDelayMs', options.requeueDelayMs ?? 1_000, 3_600_000, 0);
    const spec = this.#queues.get(queue);
    const plan = spec ? this.#declaredPlan(spec) : await this.#probePlan(queue);
    const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? plan.retryLevels + 1, 10_000);
    const subscription = await Subscription.start({
      connection: this.#connection,
      publisher: this.#publisher,
      logger: this.#logger,
      queue,
      plan: { ...plan, maxAttempts },
      consumerProps: { ...this.#consumerDeclarations(queue, spec), qos: { prefetchCount: prefetch }, concurrency },
      requeueDelayMs,
      handler,
      onClosed: (closed) => this.#subscriptions.delete(closed),
    });
    this.#subscriptions.add(subscription);
    this.#logger.info({ queue, prefetch, concurrency, retryLevels: plan.retryLevels, maxAttempts }, 'bus consumer started');
    return subscription;
  }

  /** Ready messages in `queue` (unacknowledged deliveries not counted). QUEUE_NOT_FOUND if it does not exist. */
  queueDepth(queue: string): Promise<number> {
    this.#assertOpen();
    assertQueueName(queue);
    return countReadyMessages(this.#connection, queue);
  }

  /** Peeks at up to `limit` messages of `<queue>.dead` without removing them. */
  listDead(queue: string, options: ListDeadOptions = {}): Promise<DeadLetter[]> {
    this.#assertOpen();
    return listDead(this.#connection, queue, options);
  }

  /** Moves messages from `<queue>.dead` back to `<queue>` (same body and envelope id, fresh attempts). */
  replayDead(queue: string, options: ReplayDeadOptions = {}): Promise<number> {
    this.#assertOpen();
    return replayDead(this.#connection, this.#publisher, queue, options);
  }

  /** Connected, not blocked by the broker, not closed. */
  isReady(): boolean {
    return this.#closing === undefined && this.#connection.ready;
  }

  /** A round trip to the broker; rejects when it is unreachable or slow (for readiness probes). */
  async check(): Promise<void> {
    this.#assertOpen();
    if (!this.#connection.ready) throw new BusError('NOT_READY', 'not connected to RabbitMQ (or blocked by it)');
    const timeoutMs = this.#options.checkTimeoutMs;
    try {
      await withTimeout(
        this.#connection.exchangeDeclare({ exchange: 'amq.direct', type: 'direct', passive: true }),
        timeoutMs,
        () => new BusError('CHECK_FAILED', `RabbitMQ did not answer within ${timeoutMs} ms`),
      );
    } catch (error) {
      if (error instanceof BusError) throw error;
      throw new BusError('CHECK_FAILED', `RabbitMQ check failed: ${describeError(error)}`, { cause: error });
    }
  }

  /** Graceful shutdown: stop consuming, let running handlers finish (and their retries be confirmed), then close. */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    await this.#publisher.close();
    await this.#connection.close();
    this.#logger.info({}, 'bus closed');
  }

  #assertOpen(): void {
    if (this.#closing) throw new BusError('CLOSED', 'the bus is closed');
  }

  #declaredPlan(spec: QueueSpec): Omit<RetryPlan, 'maxAttempts'> {
    return { retryLevels: spec.retryLevels ?? 0, hasDeadQueue: this.#queues.has(deadQueueName(spec.name)) };
  }

  async #probePlan(queue: string): Promise<Omit<RetryPlan, 'maxAttempts'>> {
    await countReadyMessages(this.#connection, queue);
    const hasDeadQueue = await queueExists(this.#connection, deadQueueName(queue));
    let retryLevels = 0;
    while (retryLevels < MAX_PROBED_RETRY_LEVELS && (await queueExists(this.#connection, retryQueueName(queue, retryLevels + 1)))) {
      retryLevels++;
    }
    return { retryLevels, hasDeadQueue };
  }

  /** A declared queue is re-declared (with its bindings) on reconnect; any other is only checked to exist. */
  #consumerDeclarations(queue: string, spec: QueueSpec | undefined): Partial<ConsumerProps> {
    if (!spec) return { queueOptions: { passive: true } };
    const exchanges = spec.bindings.map((binding) => this.#exchanges.get(binding.exchange)).filter((exchange) => exchange !== undefined);
    return {
      queueOptions: { durable: true, arguments: spec.arguments },
      exchanges: [...new Set(exchanges)].map(exchangeParams),
      queueBindings: spec.bindings.map((binding) => ({ queue, exchange: binding.exchange, routingKey: binding.routingKey })),
    };
  }

  #declarations(): PublisherDeclarations {
    const queues = [...this.#queues.values()];
    const declarations: Required<Pick<PublisherProps, 'exchanges' | 'queues' | 'queueBindings'>> = {
      exchanges: [...this.#exchanges.values()].map(exchangeParams),
      queues: queues.map((queue) => ({ queue: queue.name, durable: true, arguments: queue.arguments })),
      queueBindings: queues.flatMap((queue) => queue.bindings.map((binding) => ({ queue: queue.name, exchange: binding.exchange, routingKey: binding.routingKey }))),
    };
    return declarations;
  }
}

function exchangeParams(exchange: ExchangeSpec): { exchange: string; type: string; durable: boolean } {
  return { exchange: exchange.name, type: exchange.type, durable: true };
}

function resolveOptions(options: BusOptions): typeof DEFAULTS {
  const settings = {
    publishTimeoutMs: positiveInteger('publishTimeoutMs', options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs, 3_600_000),
    connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, 3_600_000),
    checkTimeoutMs: positiveInteger('checkTimeoutMs', options.checkTimeoutMs ?? DEFAULTS.checkTimeoutMs, 3_600_000),
    reconnectMinDelayMs: positiveInteger('reconnectMinDelayMs', options.reconnectMinDelayMs ?? DEFAULTS.reconnectMinDelayMs, 3_600_000),
    reconnectMaxDelayMs: positiveInteger('reconnectMaxDelayMs', options.reconnectMaxDelayMs ?? DEFAULTS.reconnectMaxDelayMs, 3_600_000),
  };
  if (settings.reconnectMaxDelayMs < settings.reconnectMinDelayMs) {
    throw new BusError('INVALID_ARGUMENT', 'reconnectMaxDelayMs must not be less than reconnectMinDelayMs');
  }
  return settings;
}
