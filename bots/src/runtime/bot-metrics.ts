import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptOutcome } from './delivery-audit.ts';

/** Reads a queue's ready-message count at scrape time (the bus's `queueDepth`). */
export type QueueDepthProbe = (queue: string) => Promise<number>;

/**
 * The delivery metrics of the bot runtime, labelled by bot (`rest-hook` for URL Subscriptions).
 * "published" and the outbox lag are the hub's (`simpul_outbox_*`); these pick up from there:
 * received, delivered, retried, dead-lettered, how long attempts take, how long after the write a
 * delivery completes, and what waits in each bot's queue and dead-letter queue.
 */
export class BotMetrics {
  readonly #received: Counter<'bot'>;
  readonly #outcomes: Counter<'bot' | 'outcome'>;
  readonly #attemptSeconds: Histogram<'bot'>;
  readonly #lagSeconds: Histogram<'bot'>;
  readonly #auditFailures: Counter<'bot'>;

  constructor(
    registry: Registry,
    queues: { bots: readonly string[]; queueOf: (bot: string) => string; deadQueueOf: (bot: string) => string; auditQueue: string; depth: QueueDepthProbe },
  ) {
    const registers = [registry];
    this.#received = new Counter({ name: 'simpul_bot_deliveries_received_total', help: 'Deliveries taken from the queue for the first time', labelNames: ['bot'], registers });
    this.#outcomes = new Counter({
      name: 'simpul_bot_delivery_attempts_total',
      help: 'Delivery attempts by outcome: delivered, retried (will be tried again), dead_lettered, skipped',
      labelNames: ['bot', 'outcome'],
      registers,
    });
    this.#attemptSeconds = new Histogram({
      name: 'simpul_bot_attempt_duration_seconds',
      help: 'How long one delivery attempt took (handler or HTTP call)',
      labelNames: ['bot'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#lagSeconds = new Histogram({
      name: 'simpul_bot_delivery_lag_seconds',
      help: 'From the hub accepting the write to the delivery succeeding',
      labelNames: ['bot'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers,
    });
    this.#auditFailures = new Counter({
      name: 'simpul_bot_audit_failures_total',
      help: 'Delivery AuditEvents the hub did not store (the delivery is retried)',
      labelNames: ['bot'],
      registers,
    });
    const depthGauge = (name: string, help: string, queueOf: (bot: string) => string) =>
      new Gauge({
        name,
        help,
        labelNames: ['bot'],
        registers,
        async collect() {
          await Promise.all(
            queues.bots.map(async (bot) => {
              const depth = await queues.depth(queueOf(bot)).catch(() => Number.NaN);
              this.set({ bot }, depth);
            }),
          );
        },
      });
    depthGauge('simpul_bot_queue_ready', 'Deliveries waiting in bot.<name> (NaN when the broker cannot be asked)', queues.queueOf);
    depthGauge('simpul_bot_dead_letters', 'Deliveries in bot.<name>.dead waiting for a replay (NaN when the broker cannot be asked)', queues.deadQueueOf);
    new Gauge({
      name: 'simpul_bot_audit_backlog',
      help: 'Delivery AuditEvents recorded but not yet stored in the hub (NaN when the broker cannot be asked)',
      registers,
      async collect() {
        this.set(await queues.depth(queues.auditQueue).catch(() => Number.NaN));
      },
    });
  }

  received(bot: string): void {
    this.#received.inc({ bot });
  }

  attempt(bot: string, outcome: AttemptOutcome, seconds: number, lagSeconds?: number): void {
    const label = outcome === 'success' ? 'delivered' : outcome === 'retrying' ? 'retried' : outcome === 'dead-lettered' ? 'dead_lettered' : 'skipped';
    this.#outcomes.inc({ bot, outcome: label });
    this.#attemptSeconds.observe({ bot }, seconds);
    if (lagSeconds !== undefined && outcome === 'success') this.#lagSeconds.observe({ bot }, Math.max(0, lagSeconds));
  }

  auditFailed(bot: string): void {
    this.#auditFailures.inc({ bot });
  }
}
