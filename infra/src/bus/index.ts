export { Bus } from './connect-bus.ts';
export { RabbitBus } from './bus.ts';
export { DbBus } from './db/db-bus.ts';
export type { BusOptions, BusSubscription, ConsumeOptions, MessageBus, PublishOptions } from './message-bus.ts';
export type { BusLogger } from './bus-logger.ts';
export type { DeadLetter, ListDeadOptions, ReplayDeadOptions } from './dead-letters.ts';
export {
  ATTEMPTS_HEADER,
  DEAD_AT_HEADER,
  DEAD_REASON_HEADER,
  LAST_ERROR_HEADER,
  ORIGIN_QUEUE_HEADER,
  REPLAYS_HEADER,
} from './delivery-headers.ts';
export type { DeadReason } from './delivery-headers.ts';
export { assertEnvelope, ENVELOPE_KINDS, newEnvelope } from './envelope.ts';
export type { Envelope, EnvelopeKind, NewEnvelopeInput } from './envelope.ts';
export { BusError, PermanentError, RetryableError } from './errors.ts';
export type { BusErrorCode } from './errors.ts';
export type { BusSubscription as Subscription } from './message-bus.ts';
export type { Delivery, EnvelopeHandler } from './subscription.ts';
export {
  botQueueName,
  buildTopology,
  deadQueueName,
  declareTopology,
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_RETRY_DELAYS_MS,
  EXCHANGES,
  INGEST_QUEUE,
  retryQueueName,
  workQueueSpecs,
} from './topology.ts';
export type { BindingSpec, ExchangeSpec, ExchangeType, QueueSpec, Topology, TopologyOptions, TopologyTarget, WorkQueueOptions } from './topology.ts';
