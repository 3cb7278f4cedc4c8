/** Public entry of @simpul/bots: the bot runtime, the rest-hook deliverer and the dead-letter admin API. */

// Runtime (`simpul bots`)
export { startBotRuntime, type BotRuntime, type BotRuntimeOptions } from './runtime/bot-runtime.ts';
export { registerBots, BOT_IDENTIFIER_SYSTEM, BOT_SUBSCRIPTION_TAG_SYSTEM, type BotRegistration, type RegisteredBot } from './runtime/register-bots.ts';
export { IDEMPOTENCY_KEY_HEADER, type BotHandler, type SimpulBotEvent } from './runtime/bot-event.ts';
export type { DeliveryBody, DeliveryInteraction } from './runtime/delivery-body.ts';
export { buildDeliveryAuditEvent, type AttemptOutcome, type DeliveryAttempt } from './runtime/delivery-audit.ts';

// Rest-hook channel
export {
  buildNotification,
  IDEMPOTENCY_KEY_HTTP_HEADER,
  MAX_ATTEMPTS_EXTENSION_URL,
  PAYLOAD_CONTENT_EXTENSION_URL,
  SECRET_EXTENSION_URLS,
  SIGNATURE_HEADER,
  signBody,
  type Notification,
  type PayloadContent,
} from './rest-hook/notification.ts';

// Admin API
export { deadLetterQueueOf, deadLetterRoutes, lazyDeadLetterRoutes, type DeadLetterBus, type DeadLetterList, type DeadLetterRoutesOptions, type ReplayResult } from './admin/dead-letter-routes.ts';

// Errors
export { BotsError, DeliveryFailure } from './errors.ts';

// Routing (`routing:` in simpul.yaml): rules, facts, delivery status
export { evaluateRule, matchRoutes, type RouteMatch, type RuleVerdict } from './routing/route-rules.ts';
export { gatherRoutingFacts, type ReferenceReader, type RoutingFacts } from './routing/routing-facts.ts';
export { destinationAccepts } from './routing/route-delivery.ts';
export { routeBotName } from './routing/route-bots.ts';
export {
  DELIVER_TASK_CODE,
  DELIVERY_OUTPUT_SYSTEM,
  DELIVERY_STATUS_SYSTEM,
  DELIVERY_TASK_SYSTEM,
  TASK_CODE_SYSTEM,
} from './routing/delivery-task.ts';
