import type { Envelope, Logger } from '@simpul/infra';
import { Bus, BusError, declareTopology, EXCHANGES, INGEST_QUEUE } from '@simpul/infra';

const FIRST_RETRY_MS = 1_000;
/** Short, so that a shutdown during an attempt is not held up for long; the loop tries again anyway. */
const CONNECT_TIMEOUT_MS = 3_000;
const MAX_RETRY_MS = 30_000;

/**
 * An edge's bus (`simpul mllp`, `simpul dicom`): connects to RabbitMQ in the background and keeps
 * trying, so the edge can start (and answer "not stored, retry": HL7 AE/CE, DICOM 0xA700) while
 * the broker is down.
 * Once connected it declares the ingest topology (exchange `simpul.ingest`, quorum queue `ingest`
 * with its retry and dead-letter queues), so messages are stored even before any ingest worker ran.
 */
export interface BackgroundIngestBusOptions {
  /** Shown by RabbitMQ for this connection, e.g. `simpul-mllp`. */
  connectionName: string;
  /** What senders get while the bus is unusable, for the log line. */
  whileDown: string;
}

export class BackgroundIngestBus {
  readonly #url: string;
  readonly #logger: Logger;
  readonly #options: BackgroundIngestBusOptions;
  #bus: Bus | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  readonly #connecting: Promise<void>;

  constructor(url: string, logger: Logger, options: BackgroundIngestBusOptions) {
    this.#url = url;
    this.#logger = logger;
    this.#options = options;
    this.#connecting = this.#connectUntilStopped();
  }

  get ready(): boolean {
    return this.#bus?.isReady() ?? false;
  }

  async publish(exchange: string, routingKey: string, envelope: Envelope): Promise<void> {
    if (!this.#bus) throw new BusError('NOT_READY', 'not connected to RabbitMQ yet');
    await this.#bus.publish(exchange, routingKey, envelope);
  }

  async close(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#connecting;
    await this.#bus?.close();
  }

  async #connectUntilStopped(): Promise<void> {
    let delay = FIRST_RETRY_MS;
    while (!this.#stopped && !this.#bus) {
      let bus: Bus | undefined;
      try {
        bus = await Bus.connect(this.#url, { logger: this.#logger, connectionName: this.#options.connectionName, connectTimeoutMs: CONNECT_TIMEOUT_MS });
        await declareIngest(bus);
        if (this.#stopped) {
          await bus.close();
          return;
        }
        this.#bus = bus;
      } catch (error) {
        await bus?.close();
        this.#logger.error({ err: (error as Error).message, retryInMs: delay }, `RabbitMQ not usable; ${this.#options.whileDown} until it is`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }
}

/**
 * The exchange always; the `ingest` queue (default arguments, as `declareTopology` makes it) only
 * when it does not exist yet, so that the arguments its owner, the ingest worker, chose (retry
 * delays) are never contradicted. Publishing is mandatory: without a queue the sender gets AE.
 */
async function declareIngest(bus: Bus): Promise<void> {
  try {
    await bus.queueDepth(INGEST_QUEUE);
  } catch (error) {
    if (!(error instanceof BusError && error.code === 'QUEUE_NOT_FOUND')) throw error;
    await declareTopology(bus, { bots: [] });
    return;
  }
  await bus.declare({ exchanges: [{ name: EXCHANGES.ingest, type: 'topic' }], queues: [] });
}
