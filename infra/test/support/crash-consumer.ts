/**
 * Child process for the contract suite's crash case: consumes `queue` with a handler that never
 * finishes, prints `took <envelope id>` once it holds a message, and waits to be killed (-9).
 * Usage: node crash-consumer.ts <bus url> <queue>
 */
import { Bus } from '../../src/bus/index.ts';

const [url, queue] = process.argv.slice(2);
const bus = await Bus.connect(url, { leaseMs: 1_000, pollIntervalMs: 50 });
await bus.consume(
  queue,
  (envelope) => {
    process.stdout.write(`took ${envelope.id}\n`);
    return new Promise<void>(() => undefined);
  },
  { prefetch: 1 },
);
process.stdout.write('consuming\n');
