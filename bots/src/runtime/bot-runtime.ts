/**
 * `simpul bots`: the bot runtime. Declares each bot's queues, registers the bots and their
 * Subscriptions in the hub, starts one worker thread per bot, and consumes `bot.<name>` (and
 * `bot.rest-hook` for URL Subscriptions) with bounded concurrency. Any number of replicas can run:
 * they share the queues, and registration is idempotent.
 */
import { createMetricsRegistry, botQueueName, deadQueueName, Bus } from '@simpul/infra';
import type { Subscription } from '@simpul/infra';
import type { BotConfig, BotsConfig, BusConfig, HubConfig, RoutingConfig } from '@simpul/infra';
import { ROUTE_BOT_PREFIX, routeBotConfigs } from '../routing/route-bots.ts';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SubscriptionReader } from '../rest-hook/subscription-reader.ts';
import { REST_HOOK_LABEL, restHookHandler } from '../rest-hook/rest-hook-handler.ts';
import { AuditBatchWriter } from './audit-batch-writer.ts';
import { AUDIT_MAX_ATTEMPTS, AUDIT_QUEUE, AuditPublisher, auditQueueHandler } from './audit-queue.ts';
import { botDeliveryHandler } from './bot-delivery-handler.ts';
import { BotMetrics } from './bot-metrics.ts';
import { botModuleUrl } from './bot-module-path.ts';
import { BotWorkerHost } from './bot-worker-host.ts';
import { HubClient } from './hub-client.ts';
import type { RegisteredBot } from './register-bots.ts';
import { registerBots } from './register-bots.ts';
import { deliveryTopology } from './topology.ts';
import type { HubClientSettings } from './worker-protocol.ts';

/** Audit messages (each up to 50 AuditEvents) the writer holds at once: enough for full batches. */
const AUDIT_PREFETCH = 20;

export interface BotRuntimeOptions {
  /** `routing` and `storage` make a route bot per destination (`route-<name>`). */
  config: { bots: BotsConfig; bus: BusConfig; hub: HubConfig; routing?: RoutingConfig; storage?: { dir: string } };
  logger: Logger;
  /** Where the runtime's metrics go (the lead serves it at /metrics); a registry of its own by default. */
  metrics?: Registry;
  /** Base for relative `bots.list[].module` paths. Default: the working directory. */
  cwd?: string;
  /** How long start keeps trying to reach the hub to register the bots. Default 60 s. */
  registrationTimeoutMs?: number;
  /** On close, how long running deliveries may finish before their threads are stopped. Default 10 s. */
  shutdownGraceMs?: number;
}

export interface BotRuntime {
  bus: Bus;
  metrics: Registry;
  bots: readonly RegisteredBot[];
  /** Graceful: stop taking deliveries, finish the running ones (and their audit), stop the threads. */
  close(): Promise<void>;
}

/** One bot with every default filled in. */
interface BotPlan {
  config: BotConfig;
  moduleUrl: string;
  timeoutMs: number;
  maxAttempts: number;
  retryDelaysMs: readonly number[];
  concurrency: number;
  hub: HubClientSettings;
}

export async function startBotRuntime(options: BotRuntimeOptions): Promise<BotRuntime> {
  const { config, logger } = options;
  const hubUrl = withTrailingSlash(config.bots.hubUrl ?? config.hub.baseUrl);
  const plans = allBots(config).map((bot) => planBot(bot, config, hubUrl, options.cwd ?? process.cwd()));
  const restHook = config.bots.restHook;

  const bus = await Bus.connect(config.bus.url, { logger: logger.child({ part: 'bus' }), connectionName: 'simpul-bots' });
  const workers: BotWorkerHost[] = [];
  const runtimeClient = new HubClient({ baseUrl: hubUrl, clientId: config.bots.clientId, clientSecret: config.bots.clientSecret });
  const auditWriter = new AuditBatchWriter({ hub: runtimeClient });
  try {
    await bus.declare(
      deliveryTopology([
        ...plans.map((plan) => ({ name: plan.config.name, retryDelaysMs: plan.retryDelaysMs })),
        ...(restHook.enabled ? [{ name: REST_HOOK_LABEL, retryDelaysMs: restHook.retryDelaysMs }] : []),
      ]),
    );
    const registrations = plans.map((plan) => ({
      name: plan.config.name,
      description: plan.config.description,
      timeoutMs: plan.timeoutMs,
      subscriptions: plan.config.subscriptions,
    }));
    const registered = await untilRegistered(
      () => runtimeClient.ready().then((medplum) => registerBots(medplum, registrations, logger)),
      options.registrationTimeoutMs ?? 60_000,
      logger,
    );

    for (const [index, plan] of plans.entries()) {
      workers.push(
        new BotWorkerHost({
          data: { name: plan.config.name, moduleUrl: plan.moduleUrl, bot: registered[index].reference, secrets: plan.config.secrets, hub: plan.hub },
          logger: logger.child({ part: 'bot', bot: plan.config.name }),
        }),
      );
    }
    await Promise.all(
      workers.map((worker, index) =>
        worker.start().catch((error: unknown) => {
          throw new Error(`bot "${worker.name}" could not be loaded from ${plans[index].moduleUrl}: ${(error as Error).message}`, { cause: error });
        }),
      ),
    );

    const labels = [...plans.map((plan) => plan.config.name), ...(restHook.enabled ? [REST_HOOK_LABEL] : [])];
    const registry = options.metrics ?? createMetricsRegistry({ part: 'bots' });
    const metrics = new BotMetrics(registry, {
      bots: labels,
      queueOf: botQueueName,
      deadQueueOf: (bot) => deadQueueName(botQueueName(bot)),
      auditQueue: AUDIT_QUEUE,
      depth: (queue) => bus.queueDepth(queue),
    });
    const deps = { audit: new AuditPublisher(bus), metrics, logger };
    const deliveryConsumers: Subscription[] = [];
    // Audit writer first: deliveries publish their AuditEvents to it.
    await bus.consume(AUDIT_QUEUE, auditQueueHandler(auditWriter), { prefetch: AUDIT_PREFETCH, maxAttempts: AUDIT_MAX_ATTEMPTS });

    for (const [index, plan] of plans.entries()) {
      const handler = botDeliveryHandler(deps, {
        name: plan.config.name,
        bot: registered[index].reference,
        worker: workers[index],
        timeoutMs: plan.timeoutMs,
        retryDelaysMs: plan.retryDelaysMs,
      });
      deliveryConsumers.push(await bus.consume(botQueueName(plan.config.name), handler, { prefetch: plan.concurrency, maxAttempts: plan.maxAttempts }));
    }
    if (restHook.enabled) {
      const reader = new SubscriptionReader(runtimeClient, restHook.subscriptionCacheMs);
      const handler = restHookHandler(deps, reader, restHook);
      deliveryConsumers.push(
        await bus.consume(botQueueName(REST_HOOK_LABEL), handler, { prefetch: restHook.concurrency ?? config.bus.prefetch, maxAttempts: restHook.maxAttempts }),
      );
    }
    logger.info({ bots: labels, hub: hubUrl }, 'bot runtime started');

    let closing: Promise<void> | undefined;
    return {
      bus,
      metrics: registry,
      bots: registered,
      close() {
        closing ??= (async () => {
          // Stop taking deliveries; give the running ones a grace period, then stop the threads:
          // what still runs fails as retryable and comes back later with the same key.
          const drained = Promise.all(deliveryConsumers.map((consumer) => consumer.close()));
          await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, options.shutdownGraceMs ?? 10_000).unref())]);
          await Promise.all(workers.map((worker) => worker.close()));
          await drained;
          await bus.close();
          await auditWriter.close();
          logger.info('bot runtime stopped');
        })();
        return closing;
      },
    };
  } catch (error) {
    await bus.close();
    await auditWriter.close();
    await Promise.all(workers.map((worker) => worker.close()));
    throw error;
  }
}

/** The configured bots and a route bot per destination; a configured bot may not take a route bot's name. */
function allBots(config: BotRuntimeOptions['config']): BotConfig[] {
  const routeBots = config.routing
    ? routeBotConfigs(config.routing, {
        storageDir: config.storage?.dir ?? './data/blobs',
        clientId: config.routing.clientId ?? config.bots.clientId,
        clientSecret: config.routing.clientSecret ?? config.bots.clientSecret,
      })
    : [];
  const clash = config.bots.list.find((bot) => bot.name.startsWith(ROUTE_BOT_PREFIX) && routeBots.some((route) => route.name === bot.name));
  if (clash) throw new Error(`bots.list has a bot named "${clash.name}", the name of routing destination "${clash.name.slice(ROUTE_BOT_PREFIX.length)}"'s bot; rename one`);
  return [...config.bots.list, ...routeBots];
}

function planBot(bot: BotConfig, config: BotRuntimeOptions['config'], hubUrl: string, cwd: string): BotPlan {
  return {
    config: bot,
    moduleUrl: botModuleUrl(bot.name, bot.module, cwd),
    timeoutMs: bot.timeoutMs ?? config.bots.timeoutMs,
    maxAttempts: bot.maxAttempts ?? config.bots.maxAttempts,
    retryDelaysMs: bot.retryDelaysMs ?? config.bots.retryDelaysMs,
    concurrency: bot.concurrency ?? config.bus.prefetch,
    hub: { baseUrl: hubUrl, clientId: bot.clientId, clientSecret: bot.clientSecret },
  };
}

/** The hub may still be starting (`simpul start` runs both): keep trying, with backoff, until the deadline. */
async function untilRegistered<T>(register: () => Promise<T>, timeoutMs: number, logger: Logger): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (;;) {
    try {
      return await register();
    } catch (error) {
      if (Date.now() + delay > deadline) throw new Error(`could not register the bots with the hub: ${(error as Error).message}`, { cause: error });
      logger.warn({ err: error, retryInMs: delay }, 'registering the bots with the hub failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
