import { Button, Group, Pagination, Select, Stack, Table, Text, TextInput, Title, UnstyledButton, VisuallyHidden } from '@mantine/core';
import type { Bundle, ImagingStudy, Patient, Task } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react-hooks';
import { IconChevronDown, IconChevronUp, IconRefresh, IconSelector } from '@tabler/icons-react';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { AuthImage } from '../components/AuthImage.tsx';
import { DeliveryBadge } from '../components/DeliveryBadge.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { deliveryRows, overallState } from '../lib/delivery.ts';
import { DELIVER_TASK_CODE, TASK_CODE_SYSTEM } from '../lib/fhir-names.ts';
import { accessionOf, formatDateTime, formatName, instanceCount, modalitiesOf, referenceId, studyThumbnail } from '../lib/imaging-study.ts';
import { useAsync } from '../lib/use-async.ts';
import { filtersFromQuery, filtersToQuery, worklistSearch, type WorklistFilters, type WorklistSort } from '../lib/worklist-query.ts';
import { Link, useRouter } from '../router.tsx';

const POLL_MS = 10_000;
const MODALITIES = ['CR', 'CT', 'DX', 'MG', 'MR', 'NM', 'OT', 'PT', 'RF', 'SC', 'US', 'XA'];

interface WorklistPage {
  total?: number;
  studies: ImagingStudy[];
  patients: Map<string, Patient>;
  tasks: Map<string, Task[]>;
}

/** ImagingStudy search with filters in the URL, sorted and paged, refreshed every 10 s while visible. */
export function WorklistPage(): ReactNode {
  const medplum = useMedplum();
  const { location, navigate } = useRouter();
  const filters = filtersFromQuery(location.query);
  const [draft, setDraft] = useState<WorklistFilters>(filters);
  const queryKey = filtersToQuery(filters);
  useEffect(() => setDraft(filtersFromQuery(queryKey)), [queryKey]);

  const state = useAsync<WorklistPage>(
    async () => {
      const bundle: Bundle = await medplum.search('ImagingStudy', worklistSearch(filters));
      const studies: ImagingStudy[] = [];
      const patients = new Map<string, Patient>();
      for (const entry of bundle.entry ?? []) {
        const resource = entry.resource;
        if (resource?.resourceType === 'ImagingStudy') studies.push(resource);
        if (resource?.resourceType === 'Patient' && resource.id) patients.set(resource.id, resource);
      }
      const tasks = new Map<string, Task[]>();
      if (studies.length > 0) {
        const taskBundle = await medplum.search('Task', {
          focus: studies.map((study) => `ImagingStudy/${study.id}`).join(','),
          code: `${TASK_CODE_SYSTEM}|${DELIVER_TASK_CODE}`,
          _count: '500',
        });
        for (const entry of taskBundle.entry ?? []) {
          const task = entry.resource as Task | undefined;
          const key = task?.focus?.reference;
          if (task && key) tasks.set(key, [...(tasks.get(key) ?? []), task]);
        }
      }
      return { total: bundle.total, studies, patients, tasks };
    },
    queryKey,
    POLL_MS,
  );

  const apply = (next: WorklistFilters): void => {
    const query = filtersToQuery(next);
    navigate(query ? `?${query}` : '');
  };
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    apply({ ...draft, page: 1 });
  };
  const sortBy = (column: 'started' | 'modality'): void => {
    const next: WorklistSort = filters.sort === `-${column}` ? column : (`-${column}` as WorklistSort);
    apply({ ...filters, sort: next, page: 1 });
  };
  const pages = state.data?.total !== undefined ? Math.max(1, Math.ceil(state.data.total / filters.pageSize)) : filters.page + (state.data?.studies.length === filters.pageSize ? 1 : 0);

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Imaging worklist
        </Title>
        <Group gap="xs">
          <Text size="xs" c="dimmed" aria-live="polite">
            {state.loading ? 'Refreshing…' : `Live: refreshes every ${POLL_MS / 1000} s`}
          </Text>
          <Button variant="default" size="xs" leftSection={<IconRefresh size={14} />} onClick={state.reload}>
            Refresh
          </Button>
        </Group>
      </Group>
      <form onSubmit={onSubmit} aria-label="Worklist filters">
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput label="From" type="date" value={draft.from ?? ''} onChange={(e) => setDraft({ ...draft, from: e.currentTarget.value || undefined })} w={150} />
          <TextInput label="To" type="date" value={draft.to ?? ''} onChange={(e) => setDraft({ ...draft, to: e.currentTarget.value || undefined })} w={150} />
          <Select label="Modality" placeholder="Any" data={MODALITIES} value={draft.modality ?? null} onChange={(value) => setDraft({ ...draft, modality: value ?? undefined })} clearable searchable w={110} />
          <TextInput label="Patient name or identifier" placeholder="Santoso or RM-0001" value={draft.patient ?? ''} onChange={(e) => setDraft({ ...draft, patient: e.currentTarget.value || undefined })} w={220} />
          <TextInput label="Accession" value={draft.accession ?? ''} onChange={(e) => setDraft({ ...draft, accession: e.currentTarget.value || undefined })} w={140} />
          <Select
            label="Delivery"
            placeholder="Any"
            data={[
              { value: 'failed', label: 'Failed' },
              { value: 'retrying', label: 'Retrying' },
              { value: 'sending', label: 'Sending' },
              { value: 'waiting-stable', label: 'Waiting for study' },
              { value: 'delivered', label: 'Delivered' },
            ]}
            value={draft.delivery ?? null}
            onChange={(value) => setDraft({ ...draft, delivery: (value ?? undefined) as WorklistFilters['delivery'] })}
            clearable
            w={170}
          />
          <Button type="submit">Search</Button>
          <Button variant="subtle" onClick={() => apply({ ...filters, from: undefined, to: undefined, modality: undefined, patient: undefined, accession: undefined, delivery: undefined, page: 1 })}>
            Clear
          </Button>
        </Group>
      </form>
      {state.error && <ErrorState title="The worklist could not be loaded" error={state.error} action={<Button mt="xs" size="xs" variant="light" onClick={state.reload}>Try again</Button>} />}
      {!state.data && state.loading && <Loading label="Loading studies…" />}
      {state.data && state.data.studies.length === 0 && <Empty>No study matches these filters.</Empty>}
      {state.data && state.data.studies.length > 0 && (
        <Table.ScrollContainer minWidth={900}>
          <Table striped highlightOnHover verticalSpacing="xs" data-testid="worklist">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={72}>
                  <VisuallyHidden>Thumbnail</VisuallyHidden>
                </Table.Th>
                <Table.Th aria-sort={ariaSort(filters.sort, 'started')}>
                  <SortButton label="Date" column="started" sort={filters.sort} onClick={() => sortBy('started')} />
                </Table.Th>
                <Table.Th>Patient</Table.Th>
                <Table.Th aria-sort={ariaSort(filters.sort, 'modality')}>
                  <SortButton label="Modality" column="modality" sort={filters.sort} onClick={() => sortBy('modality')} />
                </Table.Th>
                <Table.Th>Description</Table.Th>
                <Table.Th>Accession</Table.Th>
                <Table.Th>Images</Table.Th>
                <Table.Th>Delivery</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {state.data.studies.map((study) => {
                const patientId = referenceId(study.subject, 'Patient');
                const patient = patientId ? state.data?.patients.get(patientId) : undefined;
                const thumbnail = studyThumbnail(study);
                const rows = deliveryRows(state.data?.tasks.get(`ImagingStudy/${study.id}`) ?? []);
                return (
                  <Table.Tr key={study.id} data-testid="worklist-row" data-study={study.id}>
                    <Table.Td>
                      {thumbnail ? (
                        <AuthImage reference={thumbnail} alt={`Thumbnail of ${study.description ?? 'study'}`} style={{ width: 56, height: 56, objectFit: 'cover', borderRadius: 4, display: 'block' }} testId="worklist-thumbnail" />
                      ) : (
                        <Text size="xs" c="dimmed">
                          no preview
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{formatDateTime(study.started)}</Table.Td>
                    <Table.Td>
                      {patientId ? <Link to={`patient/${patientId}`}>{patient ? formatName(patient.name) : study.subject?.display ?? patientId}</Link> : '—'}
                      {patient?.identifier?.[0]?.value && (
                        <Text size="xs" c="dimmed">
                          {patient.identifier[0].value}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{modalitiesOf(study).join(', ') || '—'}</Table.Td>
                    <Table.Td>
                      <Link to={`study/${study.id}`} data-testid="study-link">
                        {study.description ?? 'Untitled study'}
                      </Link>
                    </Table.Td>
                    <Table.Td>{accessionOf(study) ?? '—'}</Table.Td>
                    <Table.Td>
                      {study.series?.length ?? 0} series / {instanceCount(study)}
                    </Table.Td>
                    <Table.Td>
                      <DeliveryBadge state={overallState(rows)} />
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {state.data && (state.data.studies.length > 0 || filters.page > 1) && (
        <Group justify="space-between">
          <Text size="sm" c="dimmed">
            {state.data.total !== undefined ? `${state.data.total} ${state.data.total === 1 ? 'study' : 'studies'}` : ''}
          </Text>
          <Pagination total={pages} value={filters.page} onChange={(page) => apply({ ...filters, page })} getControlProps={(control) => ({ 'aria-label': `${control} page` })} />
        </Group>
      )}
    </Stack>
  );
}

function ariaSort(sort: WorklistSort, column: string): 'ascending' | 'descending' | 'none' {
  if (sort === column) return 'ascending';
  if (sort === `-${column}`) return 'descending';
  return 'none';
}

function SortButton({ label, column, sort, onClick }: { label: string; column: string; sort: WorklistSort; onClick: () => void }): ReactNode {
  const Icon = sort === column ? IconChevronUp : sort === `-${column}` ? IconChevronDown : IconSelector;
  return (
    <UnstyledButton onClick={onClick} aria-label={`Sort by ${label.toLowerCase()}`} style={{ fontWeight: 700 }}>
      <Group gap={4} wrap="nowrap">
        {label}
        <Icon size={14} aria-hidden />
      </Group>
    </UnstyledButton>
  );
}
