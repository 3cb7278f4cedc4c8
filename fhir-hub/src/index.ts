export { connectDatabase, type Sql } from './db/connect.ts';
export { migrate } from './db/migrate.ts';
export { HubError } from './errors.ts';
export { buildHub, type Hub, type HubOptions } from './http/build-hub.ts';
export { PostgresRepository } from './repo/postgres-repository.ts';
export type { WriteEvent, WriteListener } from './repo/write-events.ts';
export { runHub, type RunningHub } from './run-hub.ts';
