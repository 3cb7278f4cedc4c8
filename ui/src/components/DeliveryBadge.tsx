import { Badge } from '@mantine/core';
import type { ReactNode } from 'react';
import { STATE_COLOR, STATE_LABEL } from '../lib/delivery.ts';
import type { DeliveryState } from '../lib/fhir-names.ts';

export function DeliveryBadge({ state }: { state: DeliveryState | 'none' | 'unknown' }): ReactNode {
  return (
    <Badge color={STATE_COLOR[state]} variant={state === 'none' ? 'outline' : 'light'} data-state={state}>
      {STATE_LABEL[state]}
    </Badge>
  );
}
