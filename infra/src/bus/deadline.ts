import type { Connection } from 'rabbitmq-client';

/** Settles like `promise`, or rejects with `onTimeout()` after `ms`. The promise itself is not cancelled. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
  });
  return Promise.race([promise, timedOut]).finally(() => clearTimeout(timer));
}

/**
 * Resolves true once the connection is open and not blocked by the broker, false if that does not
 * happen within `ms`. Unlike `Connection#onConnect`, it also wakes up on `connection.unblocked`.
 */
export function waitUntilReady(connection: Connection, ms: number): Promise<boolean> {
  if (connection.ready) return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (ready: boolean): void => {
      clearTimeout(timer);
      connection.off('connection', onChange);
      connection.off('connection.unblocked', onChange);
      resolve(ready);
    };
    const onChange = (): void => {
      if (connection.ready) finish(true);
    };
    const timer = setTimeout(() => finish(connection.ready), Math.max(0, ms));
    connection.on('connection', onChange);
    connection.on('connection.unblocked', onChange);
  });
}
