import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per process part (no module-level global, so tests stay independent).
 * Process metrics (CPU, memory, event loop lag) are collected with the `simpul_` prefix.
 */
export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: 'simpul_' });
  return registry;
}
