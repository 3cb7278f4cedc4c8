import { Badge, Table } from '@mantine/core';
import type { ReactNode } from 'react';
import { useAdminAccess } from '../../admin-access.tsx';
import { Empty, Loading } from '../../components/states.tsx';
import { formatDateTime } from '../../lib/imaging-study.ts';
import { useAsync } from '../../lib/use-async.ts';
import { AdminGate } from '../MonitorPage.tsx';

/** Codes the ingest could not translate, most seen first; "mapped now" once a ConceptMap covers them (replay those messages). */
export function UnmappedPanel(): ReactNode {
  const admin = useAdminAccess();
  const report = useAsync(() => admin.api.unmapped(), `unmapped/${admin.elevated}`);
  if (report.error && !report.data) return <AdminGate error={report.error} />;
  if (!report.data) return <Loading label="Loading unmapped codes…" />;
  if (report.data.codes.length === 0) return <Empty>Every code the ingest met was mapped.</Empty>;
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped fz="sm" data-testid="unmapped-codes">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>System</Table.Th>
            <Table.Th>Code</Table.Th>
            <Table.Th>Display</Table.Th>
            <Table.Th>Target</Table.Th>
            <Table.Th>Seen</Table.Th>
            <Table.Th>Last seen</Table.Th>
            <Table.Th>Now</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {report.data.codes.map((code) => (
            <Table.Tr key={`${code.system}|${code.code}|${code.targetSystem ?? ''}`}>
              <Table.Td style={{ wordBreak: 'break-all' }}>{code.system}</Table.Td>
              <Table.Td fw={600}>{code.code}</Table.Td>
              <Table.Td>{code.display ?? '—'}</Table.Td>
              <Table.Td style={{ wordBreak: 'break-all' }}>{code.targetSystem ?? '—'}</Table.Td>
              <Table.Td>{code.count}</Table.Td>
              <Table.Td>{formatDateTime(code.lastSeen)}</Table.Td>
              <Table.Td>{code.mappedNow ? <Badge color="green">mapped now</Badge> : <Badge color="orange">unmapped</Badge>}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
