import { Badge, Card, Group, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import type { Task } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react-hooks';
import { useState, type ReactNode } from 'react';
import { useAdminAccess } from '../../admin-access.tsx';
import { ActivityChart } from '../../components/ActivityChart.tsx';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { deliveryRows } from '../../lib/delivery.ts';
import { DELIVER_TASK_CODE, TASK_CODE_SYSTEM, type DeliveryState } from '../../lib/fhir-names.ts';
import { formatDateTime } from '../../lib/imaging-study.ts';
import { useAsync } from '../../lib/use-async.ts';
import { AdminGate } from '../MonitorPage.tsx';

interface DestinationSummary {
  destination: string;
  counts: Record<DeliveryState | 'unknown', number>;
  last?: string;
}

/** Sources from the message store (admin API), destinations from the delivery Tasks (FHIR). */
export function OverviewPanel(): ReactNode {
  const admin = useAdminAccess();
  const medplum = useMedplum();
  const [hours, setHours] = useState('24');
  const stats = useAsync(() => admin.api.stats(Number(hours)), `stats/${hours}/${admin.elevated}`, 15_000);
  const destinations = useAsync<DestinationSummary[]>(
    async () => {
      const tasks: Task[] = [...(await medplum.searchResources('Task', { code: `${TASK_CODE_SYSTEM}|${DELIVER_TASK_CODE}`, _count: '1000', _sort: '-_lastUpdated' }))];
      const byDestination = new Map<string, DestinationSummary>();
      for (const row of deliveryRows(tasks)) {
        const entry = byDestination.get(row.destination) ?? { destination: row.destination, counts: { 'waiting-stable': 0, sending: 0, retrying: 0, delivered: 0, failed: 0, unknown: 0 } };
        entry.counts[row.state] += 1;
        if (row.updatedAt && (!entry.last || row.updatedAt > entry.last)) entry.last = row.updatedAt;
        byDestination.set(row.destination, entry);
      }
      return [...byDestination.values()];
    },
    'destinations',
    15_000,
  );
  return (
    <Stack gap="md">
      <Card withBorder padding="sm">
        <Group justify="space-between" mb="xs">
          <Title order={2} size="h4">
            Sources (message store)
          </Title>
          <SegmentedControl size="xs" value={hours} onChange={setHours} data={[{ value: '1', label: '1 h' }, { value: '24', label: '24 h' }, { value: '168', label: '7 days' }]} aria-label="Window" />
        </Group>
        {stats.error && !stats.data && <AdminGate error={stats.error} />}
        {!stats.data && !stats.error && <Loading label="Loading counts…" />}
        {stats.data && (
          <>
            {stats.data.sources.length === 0 ? (
              <Empty>No message arrived in this window.</Empty>
            ) : (
              <Table.ScrollContainer minWidth={640}>
                <Table striped fz="sm" data-testid="source-stats">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Source</Table.Th>
                      <Table.Th>Kind</Table.Th>
                      <Table.Th>Received</Table.Th>
                      <Table.Th>Stored</Table.Th>
                      <Table.Th>Errors</Table.Th>
                      <Table.Th>In progress</Table.Th>
                      <Table.Th>Last activity</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {stats.data.sources.map((source) => (
                      <Table.Tr key={`${source.kind}/${source.source}`}>
                        <Table.Td fw={600}>{source.source}</Table.Td>
                        <Table.Td>{source.kind}</Table.Td>
                        <Table.Td>{source.total}</Table.Td>
                        <Table.Td>{source.byStatus.stored}</Table.Td>
                        <Table.Td>{source.byStatus.error > 0 ? <Badge color="red">{source.byStatus.error}</Badge> : 0}</Table.Td>
                        <Table.Td>{source.byStatus.received + source.byStatus.mapped}</Table.Td>
                        <Table.Td>{formatDateTime(source.lastReceivedAt)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
            <ActivityChart stats={stats.data} />
          </>
        )}
      </Card>
      <Card withBorder padding="sm">
        <Title order={2} size="h4" mb="xs">
          Destinations (delivery Tasks)
        </Title>
        {destinations.error && !destinations.data && <ErrorState title="Deliveries could not be loaded" error={destinations.error} />}
        {!destinations.data && !destinations.error && <Loading label="Loading deliveries…" />}
        {destinations.data && destinations.data.length === 0 && <Empty>No delivery has been routed yet.</Empty>}
        {destinations.data && destinations.data.length > 0 && (
          <Table striped fz="sm" data-testid="destination-stats">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Destination</Table.Th>
                <Table.Th>Delivered</Table.Th>
                <Table.Th>Waiting / sending / retrying</Table.Th>
                <Table.Th>Failed (dead-lettered)</Table.Th>
                <Table.Th>Last activity</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {destinations.data.map((row) => (
                <Table.Tr key={row.destination}>
                  <Table.Td fw={600}>{row.destination}</Table.Td>
                  <Table.Td>{row.counts.delivered}</Table.Td>
                  <Table.Td>
                    {row.counts['waiting-stable']} / {row.counts.sending} / {row.counts.retrying}
                  </Table.Td>
                  <Table.Td>{row.counts.failed > 0 ? <Badge color="red">{row.counts.failed}</Badge> : 0}</Table.Td>
                  <Table.Td>{formatDateTime(row.last)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Text size="xs" c="dimmed" mt="xs">
          Counts of the most recent 1000 deliveries.
        </Text>
      </Card>
    </Stack>
  );
}
