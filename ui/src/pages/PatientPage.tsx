import { Badge, Card, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import type { Encounter, ImagingStudy, Observation, Patient, ServiceRequest } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react-hooks';
import type { ReactNode } from 'react';
import { PatientBanner } from '../components/PatientBanner.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { accessionOf, formatDateTime, modalitiesOf } from '../lib/imaging-study.ts';
import { observationFlag, observationValue, rangeText, type Flag } from '../lib/observation-view.ts';
import { useAsync } from '../lib/use-async.ts';
import { Link } from '../router.tsx';

interface Chart {
  patient: Patient;
  encounters: Encounter[];
  orders: ServiceRequest[];
  results: Observation[];
  studies: ImagingStudy[];
}

const FLAG_COLOR: Record<Flag, string> = { critical: 'red', high: 'orange', low: 'blue', abnormal: 'grape', normal: 'green', none: 'gray' };

export function PatientPage({ id }: { id: string }): ReactNode {
  const medplum = useMedplum();
  const chart = useAsync<Chart>(
    async () => {
      const subject = `Patient/${id}`;
      const [patient, encounters, orders, results, studies] = await Promise.all([
        medplum.readResource('Patient', id),
        medplum.searchResources('Encounter', { subject, _sort: '-date', _count: '50' }),
        medplum.searchResources('ServiceRequest', { subject, _sort: '-authored', _count: '50' }),
        medplum.searchResources('Observation', { subject, _sort: '-date', _count: '100' }),
        medplum.searchResources('ImagingStudy', { subject, _sort: '-started', _count: '50' }),
      ]);
      return { patient, encounters: [...encounters], orders: [...orders], results: [...results], studies: [...studies] };
    },
    `patient/${id}`,
  );
  if (chart.error && !chart.data) return <ErrorState title="This patient could not be loaded" error={chart.error} />;
  if (!chart.data) return <Loading label="Loading the patient chart…" />;
  const { patient, encounters, orders, results, studies } = chart.data;
  const address = patient.address?.[0];
  return (
    <Stack gap="md">
      <PatientBanner patient={patient} />
      <Card withBorder padding="sm">
        <Title order={1} size="h3" mb="xs">
          Demographics
        </Title>
        <Text size="sm">Address: {address ? (address.text ?? [...(address.line ?? []), address.city, address.district, address.state, address.postalCode].filter(Boolean).join(', ')) : '—'}</Text>
        <Text size="sm">Contact: {patient.telecom?.map((telecom) => `${telecom.system ?? ''} ${telecom.value ?? ''}`.trim()).join(' · ') || '—'}</Text>
        <Text size="sm">Marital status: {patient.maritalStatus?.text ?? patient.maritalStatus?.coding?.[0]?.display ?? '—'}</Text>
        <Text size="sm">Last updated {formatDateTime(patient.meta?.lastUpdated)}</Text>
      </Card>
      <Tabs defaultValue="results" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="results">Results ({results.length})</Tabs.Tab>
          <Tabs.Tab value="imaging">Imaging ({studies.length})</Tabs.Tab>
          <Tabs.Tab value="orders">Orders ({orders.length})</Tabs.Tab>
          <Tabs.Tab value="encounters">Encounters ({encounters.length})</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="results" pt="sm">
          {results.length === 0 ? (
            <Empty>No results for this patient.</Empty>
          ) : (
            <SimpleTable
              head={['Date', 'Test', 'Value', 'Reference range', 'Flag', 'Status']}
              rows={results.map((observation) => {
                const { flag, code } = observationFlag(observation);
                return {
                  key: observation.id as string,
                  cells: [
                    formatDateTime(observation.effectiveDateTime ?? observation.issued),
                    observation.code?.text ?? observation.code?.coding?.[0]?.display ?? observation.code?.coding?.[0]?.code ?? '—',
                    <Text key="v" size="sm" fw={flag !== 'normal' && flag !== 'none' ? 700 : undefined}>
                      {observationValue(observation)}
                    </Text>,
                    rangeText(observation.referenceRange),
                    flag === 'none' ? '—' : (
                      <Badge key="f" color={FLAG_COLOR[flag]} variant="light" aria-label={`flag ${flag}`}>
                        {code ?? flag}
                      </Badge>
                    ),
                    observation.status,
                  ],
                };
              })}
            />
          )}
        </Tabs.Panel>
        <Tabs.Panel value="imaging" pt="sm">
          {studies.length === 0 ? (
            <Empty>No imaging studies.</Empty>
          ) : (
            <SimpleTable
              head={['Date', 'Study', 'Modality', 'Accession', 'Images']}
              rows={studies.map((study) => ({
                key: study.id as string,
                cells: [
                  formatDateTime(study.started),
                  <Link key="l" to={`study/${study.id}`}>
                    {study.description ?? 'Untitled study'}
                  </Link>,
                  modalitiesOf(study).join(', ') || '—',
                  accessionOf(study) ?? '—',
                  String(study.numberOfInstances ?? '—'),
                ],
              }))}
            />
          )}
        </Tabs.Panel>
        <Tabs.Panel value="orders" pt="sm">
          {orders.length === 0 ? (
            <Empty>No orders.</Empty>
          ) : (
            <SimpleTable
              head={['Authored', 'Order', 'Status', 'Priority', 'Identifier']}
              rows={orders.map((order) => ({
                key: order.id as string,
                cells: [formatDateTime(order.authoredOn), order.code?.text ?? order.code?.coding?.[0]?.display ?? order.code?.coding?.[0]?.code ?? '—', order.status, order.priority ?? '—', order.identifier?.[0]?.value ?? '—'],
              }))}
            />
          )}
        </Tabs.Panel>
        <Tabs.Panel value="encounters" pt="sm">
          {encounters.length === 0 ? (
            <Empty>No encounters.</Empty>
          ) : (
            <SimpleTable
              head={['Start', 'End', 'Class', 'Type', 'Status']}
              rows={encounters.map((encounter) => ({
                key: encounter.id as string,
                cells: [formatDateTime(encounter.period?.start), formatDateTime(encounter.period?.end), encounter.class?.display ?? encounter.class?.code ?? '—', encounter.type?.[0]?.text ?? encounter.type?.[0]?.coding?.[0]?.display ?? '—', encounter.status],
              }))}
            />
          )}
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function SimpleTable({ head, rows }: { head: string[]; rows: { key: string; cells: ReactNode[] }[] }): ReactNode {
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table striped verticalSpacing={6} fz="sm">
        <Table.Thead>
          <Table.Tr>
            {head.map((title) => (
              <Table.Th key={title}>{title}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={row.key}>
              {row.cells.map((cell, i) => (
                <Table.Td key={i}>{cell}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
