import { Alert, Button, Card, Group, Stack, Text, Timeline } from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { STATE_LABEL, type DeliveryRow, type TimelineEntry } from '../lib/delivery.ts';
import { formatDateTime } from '../lib/imaging-study.ts';
import { DeliveryBadge } from './DeliveryBadge.tsx';
import { Empty } from './states.tsx';

export interface DeliveryTimelineProps {
  rows: DeliveryRow[];
  /** Per Task id, its state changes oldest first (from the Task's history). */
  timelines: Record<string, TimelineEntry[]>;
  /** Retry a failed delivery; absent when the viewer cannot (no admin access). */
  onRetry?: (row: DeliveryRow) => void;
  retrying?: string;
  retryMessages?: Record<string, { ok: boolean; text: string }>;
}

/** One card per destination: current state, attempts, what the destination accepted, and how it got there. */
export function DeliveryTimeline({ rows, timelines, onRetry, retrying, retryMessages }: DeliveryTimelineProps): ReactNode {
  if (rows.length === 0) return <Empty>No delivery for this study yet: no routing rule matched it, or routing has not run.</Empty>;
  return (
    <Stack gap="sm">
      {rows.map((row) => {
        const entries = row.taskId ? (timelines[row.taskId] ?? []) : [];
        const message = row.taskId ? retryMessages?.[row.taskId] : undefined;
        return (
          <Card key={row.taskId ?? row.destination} withBorder padding="sm" data-testid="delivery" data-destination={row.destination} data-state={row.state}>
            <Group justify="space-between" wrap="wrap">
              <Group gap="xs">
                <Text fw={600}>{row.destination}</Text>
                {row.destinationType && (
                  <Text size="sm" c="dimmed">
                    {row.destinationType}
                  </Text>
                )}
                <DeliveryBadge state={row.state} />
              </Group>
              {row.state === 'failed' && onRetry && (
                <Button size="xs" variant="light" color="red" leftSection={<IconRefresh size={14} />} loading={retrying === row.taskId} onClick={() => onRetry(row)}>
                  Retry delivery
                </Button>
              )}
            </Group>
            <Text size="sm" mt={4}>
              {row.summary ?? STATE_LABEL[row.state]}
            </Text>
            {row.error && (
              <Text size="sm" c="red.8" mt={4} data-testid="delivery-error">
                {row.error}
              </Text>
            )}
            <Text size="xs" c="dimmed" mt={4}>
              {row.attempts} attempt{row.attempts === 1 ? '' : 's'} · {row.deliveredInstances} instance{row.deliveredInstances === 1 ? '' : 's'} accepted · last change {formatDateTime(row.updatedAt)}
              {row.remoteIds.map((remote) => ` · ${remote.name} ${remote.id}`).join('')}
            </Text>
            {row.warnings.map((warning) => (
              <Text key={warning} size="xs" c="orange.9">
                Warning: {warning}
              </Text>
            ))}
            {message && (
              <Alert mt="xs" color={message.ok ? 'green' : 'red'} variant="light" role="status" p="xs">
                {message.text}
              </Alert>
            )}
            {entries.length > 0 && (
              <Timeline mt="sm" bulletSize={12} lineWidth={2} active={entries.length - 1} aria-label={`History of the delivery to ${row.destination}`}>
                {entries.map((entry, i) => (
                  <Timeline.Item key={`${entry.at}-${i}`} title={STATE_LABEL[entry.state]} color={entry.state === 'failed' ? 'red' : undefined}>
                    <Text size="xs" c="dimmed">
                      {formatDateTime(entry.at)}
                      {entry.attempts ? ` · attempt ${entry.attempts}` : ''}
                    </Text>
                    {entry.summary && <Text size="xs">{entry.summary}</Text>}
                  </Timeline.Item>
                ))}
              </Timeline>
            )}
          </Card>
        );
      })}
    </Stack>
  );
}
