/**
 * Prints EXPLAIN (ANALYZE, BUFFERS) of every statement the hub's search runs for the benchmark
 * queries, against a loaded database: the check that each plan starts from the selective index.
 *
 *   source scripts/node-env.sh && node bench/fhir-search/explain.ts --database simpul_search_bench [--resources 1000000]
 */
import { parseArgs } from 'node:util';
import { connectDatabase, parseSearchQuery, searchBundle, type Sql } from '@simpul/fhir-hub';
import { benchQueries } from './queries.ts';

const { values } = parseArgs({
  options: {
    database: { type: 'string', default: 'simpul_search_bench' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    resources: { type: 'string', default: '1000000' },
    only: { type: 'string' },
  },
});

const sql = connectDatabase({ url: `${values.server}/${values.database}`, maxConnections: 2 });
const captured: { text: string; params: unknown[] }[] = [];
// Records each statement while running it normally.
const recording = new Proxy(sql, {
  get(target, prop, receiver) {
    if (prop === 'unsafe') {
      return (text: string, params: unknown[], options?: unknown) => {
        captured.push({ text, params });
        return target.unsafe(text, params as never[], options as never);
      };
    }
    return Reflect.get(target, prop, receiver);
  },
}) as Sql;

try {
  const queries = await benchQueries(sql, Number(values.resources));
  for (const query of queries.filter((q) => !values.only || q.name.includes(values.only))) {
    const url = query.urls[0];
    captured.length = 0;
    const q = url.indexOf('?');
    const started = performance.now();
    await searchBundle(recording, parseSearchQuery(url.slice(0, q) || undefined, [...new URLSearchParams(url.slice(q + 1))]), {
      baseUrl: 'http://bench/',
    });
    process.stdout.write(`\n=== ${query.name}: ${url} (${(performance.now() - started).toFixed(1)} ms)\n`);
    for (const { text, params } of captured) {
      const plan = await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params as never[]);
      process.stdout.write(`${plan.map((row) => row['QUERY PLAN']).join('\n')}\n---\n`);
    }
  }
} finally {
  await sql.end({ timeout: 5 });
}
