/** Which driver talks to which kind of destination. */
import type { DestinationConfig } from '@simpul/infra';
import { deliverToPacs } from '../pacs/index.ts';
import { deliverToRis } from '../ris/index.ts';
import { deliverToSatusehat } from '../satusehat/index.ts';
import { deliverToSql } from '../sql-writeback/index.ts';
import type { DeliveryContext, DestinationDriver } from './destination-driver.ts';

export function driverFor(destination: DestinationConfig): DestinationDriver<DestinationConfig> {
  // Each driver takes the config of its own kind; the settings' `type` decided which, so the casts hold.
  switch (destination.type) {
    case 'pacs':
      return (context) => deliverToPacs(context as DeliveryContext<typeof destination>);
    case 'ris':
      return (context) => deliverToRis(context as DeliveryContext<typeof destination>);
    case 'satusehat':
      return (context) => deliverToSatusehat(context as DeliveryContext<typeof destination>);
    case 'sql':
      return (context) => deliverToSql(context as DeliveryContext<typeof destination>);
  }
}
