/**
 * `routing:` → bots: each destination that some rule sends to becomes one bot, `route-<destination>`,
 * running `route-bot.ts` with its own queue, retry schedule, concurrency and Subscriptions (the
 * resource types its rules name and its kind of destination takes). What the bot needs to know
 * travels as its `SIMPUL_ROUTE` secret, the way Medplum bots get their settings.
 */
import { fileURLToPath } from 'node:url';
import type { BotConfig, DestinationConfig, RoutingConfig } from '@simpul/infra';
import { destinationAccepts, type RouteSettings } from './route-delivery.ts';

export const ROUTE_SECRET = 'SIMPUL_ROUTE';
export const ROUTE_BOT_PREFIX = 'route-';
const ROUTE_BOT_MODULE = fileURLToPath(new URL('./route-bot.ts', import.meta.url));
/** Room for the Task writes around the driver's own budget. */
const TASK_WRITE_ALLOWANCE_MS = 30_000;

export interface RouteBotOptions {
  readonly storageDir: string;
  /** The hub client the route bots use (reads resources, writes Tasks and ids learnt from destinations). */
  readonly clientId?: string;
  readonly clientSecret?: string;
}

export function routeBotName(destination: string): string {
  return `${ROUTE_BOT_PREFIX}${destination}`;
}

export function routeBotConfigs(routing: RoutingConfig, options: RouteBotOptions): BotConfig[] {
  const bots: BotConfig[] = [];
  for (const [name, destination] of Object.entries(routing.destinations)) {
    const rules = routing.rules.filter((rule) => rule.sendTo.includes(name));
    const interactions = destination.type === 'ris' ? (['create', 'update', 'delete'] as const) : (['create', 'update'] as const);
    const types = [...new Set(rules.flatMap((rule) => rule.when.resourceType))].filter((type) =>
      interactions.some((interaction) => destinationAccepts(destination.type, type, interaction)),
    );
    if (types.length === 0) continue;
    const settings: RouteSettings = { destinationName: name, destination, rules, storageDir: options.storageDir };
    const stableMs = Math.max(0, ...rules.map((rule) => rule.stableSeconds)) * 1000;
    bots.push({
      name: routeBotName(name),
      module: ROUTE_BOT_MODULE,
      description: destination.description ?? `Delivers to ${name} (${describeDestination(destination)})`,
      subscriptions: types.map((type) => ({ criteria: type, interactions: [...interactions] })),
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      timeoutMs: destination.attemptTimeoutMs + stableMs + TASK_WRITE_ALLOWANCE_MS,
      maxAttempts: destination.maxAttempts,
      retryDelaysMs: destination.retryDelaysMs,
      concurrency: destination.concurrency,
      secrets: { [ROUTE_SECRET]: JSON.stringify(settings) },
    });
  }
  return bots;
}

function describeDestination(destination: DestinationConfig): string {
  switch (destination.type) {
    case 'pacs':
      return `PACS ${destination.aeTitle} at ${destination.host}:${destination.port}`;
    case 'ris':
      return `RIS ${destination.receivingApplication} at ${destination.host}:${destination.port}, ${destination.messageType}`;
    case 'satusehat':
      return `SATUSEHAT organization ${destination.organizationId}`;
    case 'sql':
      return `write-back to a ${destination.driver} database`;
  }
}
