import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * Test support (not exported from the package entry): a RabbitMQ vhost of its own per test file,
 * made and removed with `rabbitmqctl` because the management API is not available. Faults are
 * injected on this vhost only, so tests never disturb anyone else using the broker.
 */
const run = promisify(execFile);

export interface TestVhost {
  name: string;
  /** `amqp://guest:guest@127.0.0.1:5672/<name>` */
  url: string;
  /** Drops every connection to this vhost, as a broker restart or a network cut would. */
  closeAllConnections(): Promise<void>;
  /** Takes guest's rights away (new connections are refused) or gives them back. */
  denyAccess(): Promise<void>;
  allowAccess(): Promise<void>;
  /** Deletes the vhost and everything in it. */
  remove(): Promise<void>;
}

const BROKER = process.env.RABBITMQ_TEST_HOST ?? '127.0.0.1:5672';

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['--quiet', ...args], { timeout: 30_000 });
  return stdout;
}

export async function createTestVhost(prefix = 'simpul_test'): Promise<TestVhost> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await rabbitmqctl('add_vhost', name);
  const allowAccess = async (): Promise<void> => {
    await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  };
  await allowAccess();
  return {
    name,
    url: `amqp://guest:guest@${BROKER}/${encodeURIComponent(name)}`,
    closeAllConnections: async () => {
      await rabbitmqctl('close_all_connections', '--vhost', name, 'simpul test: simulated connection loss');
    },
    denyAccess: async () => {
      await rabbitmqctl('clear_permissions', '-p', name, 'guest');
    },
    allowAccess,
    remove: async () => {
      await rabbitmqctl('delete_vhost', name);
    },
  };
}
