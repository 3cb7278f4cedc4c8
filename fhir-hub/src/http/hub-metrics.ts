import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { Sql } from '../db/connect.ts';

/**
 * The hub's Prometheus metrics: HTTP latency by route, FHIR interactions by type and outcome,
 * and the outbox backlog (read from the database at scrape time, so every replica reports the truth).
 */
export function registerHubMetrics(app: FastifyInstance, registry: Registry, sql: Sql): void {
  const latency = new Histogram({
    name: 'simpul_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const interactions = new Counter({
    name: 'simpul_fhir_interactions_total',
    help: 'FHIR REST interactions by interaction, resource type and outcome class',
    labelNames: ['interaction', 'resource_type', 'outcome'],
    registers: [registry],
  });
  new Gauge({
    name: 'simpul_outbox_unsent',
    help: 'Outbox messages not yet published to RabbitMQ (parked ones excluded)',
    registers: [registry],
    async collect() {
      const [row] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL`;
      this.set(Number(row.n));
    },
  });
  new Gauge({
    name: 'simpul_outbox_lag_seconds',
    help: 'Age of the oldest unsent outbox message',
    registers: [registry],
    async collect() {
      const [row] = await sql<{ lag: number | null }[]>`
        SELECT extract(epoch FROM clock_timestamp() - min(created_at))::float8 AS lag FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL`;
      this.set(row.lag ?? 0);
    },
  });
  new Gauge({
    name: 'simpul_outbox_parked',
    help: 'Deliveries no queue took yet (their consumer has not started)',
    registers: [registry],
    async collect() {
      const [row] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL AND parked_at IS NOT NULL`;
      this.set(Number(row.n));
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    latency.observe({ method: request.method, route, status: String(status) }, reply.elapsedTime / 1000);
    if (route.startsWith('/fhir/R4')) {
      const { interaction, resourceType } = classifyFhirRequest(request.method, request.url);
      interactions.inc({ interaction, resource_type: resourceType, outcome: status < 400 ? 'ok' : status < 500 ? 'client-error' : 'server-error' });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}

/** Names the FHIR interaction of a request from its method and path, for metric labels. */
export function classifyFhirRequest(method: string, url: string): { interaction: string; resourceType: string } {
  const path = url.split('?')[0].replace(/^\/fhir\/R4\/?/, '');
  const parts = path.split('/').filter(Boolean);
  const resourceType = parts[0] && /^[A-Z]/.test(parts[0]) ? parts[0] : 'system';
  if (parts.length === 0) return { interaction: method === 'POST' ? 'batch/transaction' : 'search-system', resourceType };
  if (parts[0] === 'metadata') return { interaction: 'capabilities', resourceType: 'system' };
  if (parts[0].startsWith('$') || parts.at(-1)?.startsWith('$')) return { interaction: 'operation', resourceType };
  if (parts.at(-1) === '_history') return { interaction: 'history', resourceType };
  if (parts.length === 4 && parts[2] === '_history') return { interaction: 'vread', resourceType };
  if (parts[1] === '_search') return { interaction: 'search-type', resourceType };
  if (parts.length === 1) {
    const byMethod: Record<string, string> = { GET: 'search-type', POST: 'create', PUT: 'conditional-update', DELETE: 'conditional-delete', PATCH: 'conditional-patch' };
    return { interaction: byMethod[method] ?? 'other', resourceType };
  }
  const byMethod: Record<string, string> = { GET: 'read', PUT: 'update', DELETE: 'delete', PATCH: 'patch' };
  return { interaction: byMethod[method] ?? 'other', resourceType };
}
