/**
 * The route bot: one per destination (`route-<name>`), run by the bot runtime in a worker thread of
 * its own. Its settings come as the `SIMPUL_ROUTE` secret; the work is `deliverRoute`'s.
 */
import type { MedplumClient } from '@medplum/core';
import { PermanentError, destinationSchema } from '@simpul/infra';
import type { SimpulBotEvent } from '../runtime/bot-event.ts';
import type { DriverLogger, RoutedResource } from './destination-driver.ts';
import { driverFor } from './drivers.ts';
import { deliverRoute, type RouteOutcome, type RouteSettings } from './route-delivery.ts';
import { ROUTE_SECRET } from './route-bots.ts';

let parsed: { text: string; settings: RouteSettings } | undefined;

export async function handler(medplum: MedplumClient, event: SimpulBotEvent<RoutedResource>): Promise<RouteOutcome> {
  const settings = routeSettings(event.secrets[ROUTE_SECRET]?.valueString);
  return deliverRoute(medplum, event, settings, driverFor(settings.destination), { logger: consoleLogger(settings.destinationName) });
}

function routeSettings(text: string | undefined): RouteSettings {
  if (!text) throw new PermanentError(`the route bot has no ${ROUTE_SECRET} secret; it is made from routing: in simpul.yaml, not listed under bots.list`);
  if (parsed?.text !== text) {
    // Written by routeBotConfigs from the validated config; the destination is checked again because drivers trust it.
    const settings = JSON.parse(text) as RouteSettings;
    const destination = destinationSchema.safeParse(settings.destination);
    if (!destination.success || !settings.destinationName || !Array.isArray(settings.rules)) {
      throw new PermanentError(`${ROUTE_SECRET} is not a route (${destination.error?.message ?? 'destinationName or rules missing'})`);
    }
    parsed = { text, settings: { ...settings, destination: destination.data } };
  }
  return parsed.settings;
}

/** The thread's console goes to the runtime's log with the bot's name. */
function consoleLogger(destination: string): DriverLogger {
  const line = (fields: object, message: string): string => `${message} ${JSON.stringify({ destination, ...fields })}`;
  return {
    debug: (fields, message) => console.debug(line(fields, message)),
    info: (fields, message) => console.info(line(fields, message)),
    warn: (fields, message) => console.warn(line(fields, message)),
    error: (fields, message) => console.error(line(fields, message)),
  };
}
