import type { Envelope, Logger } from '@simpul/infra';
import { Bus, BusError, declareTopology } from '@simpul/infra';
import type { InstancePublisher } from './store-instance.ts';

const FIRST_RETRY_MS = 1_000;
const CONNECT_TIMEOUT_MS = 3_000;
const MAX_RETRY_MS = 30_000;

/**
 * The receiver's bus for `simpul dicom`: connects to RabbitMQ in the background and keeps trying, so
 * the receiver starts (and answers 0xA700, "out of resources, send again later") while the broker is
 * down. Once connected it declares the ingest topology, so instances are queued even before any ingest
 * worker ran.
 */
export class ReceiverBus implements InstancePublisher {
  readonly #url: string;
  readonly #logger: Logger;
  #bus: Bus | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  readonly #connecting: Promise<void>;

  constructor(url: string, logger: Logger) {
    this.#url = url;
    this.#logger = logger;
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
        bus = await Bus.connect(this.#url, { logger: this.#logger, connectionName: 'simpul-dicom', connectTimeoutMs: CONNECT_TIMEOUT_MS });
        await declareTopology(bus, { bots: [] });
        if (this.#stopped) {
          await bus.close();
          return;
        }
        this.#bus = bus;
      } catch (error) {
        await bus?.close();
        this.#logger.error({ err: (error as Error).message, retryInMs: delay }, 'RabbitMQ not usable; C-STOREs are answered 0xA700 until it is');
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
