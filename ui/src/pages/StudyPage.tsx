import { Badge, Button, Card, Grid, Group, ScrollArea, Stack, Table, Text, Title, UnstyledButton } from '@mantine/core';
import type { DiagnosticReport, ImagingStudy, ImagingStudySeries, Patient, ServiceRequest, Task } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react-hooks';
import { IconDownload } from '@tabler/icons-react';
import { useMemo, useState, type ReactNode } from 'react';
import { useAdminAccess } from '../admin-access.tsx';
import { AuthImage } from '../components/AuthImage.tsx';
import { DeliveryTimeline } from '../components/DeliveryTimeline.tsx';
import { PatientBanner } from '../components/PatientBanner.tsx';
import { PreviewViewer } from '../components/PreviewViewer.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { isForbidden, isNotMounted } from '../lib/admin-api.ts';
import { deliveryRows, timelineOf, type DeliveryRow, type TimelineEntry } from '../lib/delivery.ts';
import { DELIVER_TASK_CODE, TASK_CODE_SYSTEM, deadLetterQueueOf } from '../lib/fhir-names.ts';
import { accessionOf, formatDateTime, instanceCount, modalitiesOf, previewInstances, referenceId, sortedSeries, studyUid, thumbnailOf } from '../lib/imaging-study.ts';
import { useAsync } from '../lib/use-async.ts';
import { Link } from '../router.tsx';

interface StudyData {
  study: ImagingStudy;
  patient?: Patient;
  order?: ServiceRequest;
  reports: DiagnosticReport[];
}

interface DeliveryData {
  rows: DeliveryRow[];
  timelines: Record<string, TimelineEntry[]>;
}

/** One study: patient banner, order and report, series strip, preview viewer, metadata, deliveries, originals. */
export function StudyPage({ id }: { id: string }): ReactNode {
  const medplum = useMedplum();
  const admin = useAdminAccess();
  const [seriesUid, setSeriesUid] = useState<string>();
  const [retrying, setRetrying] = useState<string>();
  const [retryMessages, setRetryMessages] = useState<Record<string, { ok: boolean; text: string }>>({});

  const data = useAsync<StudyData>(
    async () => {
      const study = await medplum.readResource('ImagingStudy', id);
      const patientId = referenceId(study.subject, 'Patient');
      const orderId = study.basedOn?.map((reference) => referenceId(reference, 'ServiceRequest')).find(Boolean);
      const [patient, order, reports] = await Promise.all([
        patientId ? medplum.readResource('Patient', patientId).catch(() => undefined) : undefined,
        orderId ? medplum.readResource('ServiceRequest', orderId).catch(() => undefined) : undefined,
        orderId ? medplum.searchResources('DiagnosticReport', { 'based-on': `ServiceRequest/${orderId}`, _count: '20' }).then((list) => [...list]).catch(() => []) : [],
      ]);
      return { study, patient, order, reports };
    },
    `study/${id}`,
    15_000,
  );

  const deliveries = useAsync<DeliveryData>(
    async () => {
      const tasks: Task[] = [...(await medplum.searchResources('Task', { focus: `ImagingStudy/${id}`, code: `${TASK_CODE_SYSTEM}|${DELIVER_TASK_CODE}`, _count: '100' }))];
      const timelines: Record<string, TimelineEntry[]> = {};
      await Promise.all(
        tasks.map(async (task) => {
          const history = await medplum.readHistory('Task', task.id as string, { count: 50 }).catch(() => undefined);
          const versions: Task[] = (history?.entry ?? []).flatMap((entry) => (entry.resource?.resourceType === 'Task' ? [entry.resource as Task] : []));
          timelines[task.id as string] = timelineOf(versions.length > 0 ? versions : [task]);
        }),
      );
      return { rows: deliveryRows(tasks), timelines };
    },
    `deliveries/${id}`,
    5_000,
  );

  const series = useMemo(() => (data.data ? sortedSeries(data.data.study) : []), [data.data]);
  const selected = series.find((item) => item.uid === seriesUid) ?? series[0];
  const instances = useMemo(() => (selected ? previewInstances(selected) : []), [selected]);

  if (data.error && !data.data) return <ErrorState title="This study could not be loaded" error={data.error} />;
  if (!data.data) return <Loading label="Loading the study…" />;
  const { study, patient, order, reports } = data.data;

  // A failed delivery is in its route bot's dead-letter queue; replaying it runs the same delivery again
  // (same idempotency key, fresh attempts), and the bot resumes from what the destination already accepted.
  const retry = async (row: DeliveryRow): Promise<void> => {
    const key = row.taskId as string;
    setRetrying(key);
    const queue = deadLetterQueueOf(row.destination);
    try {
      const list = await admin.api.deadLetters(queue, 1000);
      const ids = list.items.filter((item) => deliveryFocus(item.envelope?.body) === `ImagingStudy/${id}` && item.id).map((item) => item.id as string);
      if (ids.length === 0) {
        setRetryMessages({ ...retryMessages, [key]: { ok: false, text: `Nothing for this study is waiting in ${queue}; it may have been replayed already.` } });
      } else {
        const result = await admin.api.replayDeadLetters(queue, ids);
        setRetryMessages({ ...retryMessages, [key]: { ok: true, text: `Sent ${result.replayed} delivery back to ${row.destination}; the status updates here as it runs.` } });
        deliveries.reload();
      }
    } catch (error) {
      const text = isNotMounted(error)
        ? 'This hub does not offer the dead-letter admin API (/admin/dead-letters) yet; use `simpul replay --queue ' + queue + '`.'
        : isForbidden(error)
          ? 'Retrying needs admin access: sign in with an admin client on the Integration monitor page, then retry.'
          : `The retry failed: ${error instanceof Error ? error.message : String(error)}`;
      setRetryMessages({ ...retryMessages, [key]: { ok: false, text } });
    } finally {
      setRetrying(undefined);
    }
  };

  return (
    <Stack gap="md">
      {patient ? <PatientBanner patient={patient} /> : <Text c="dimmed">The study names no patient the viewer can read.</Text>}
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={1} size="h2" data-testid="study-title">
            {study.description ?? 'Untitled study'}
          </Title>
          <Text c="dimmed" size="sm">
            {modalitiesOf(study).join(', ') || 'Modality unknown'} · {formatDateTime(study.started)} · accession {accessionOf(study) ?? '—'} · {study.series?.length ?? 0} series, {instanceCount(study)} images · status {study.status}
          </Text>
        </div>
        <Link to="">Back to worklist</Link>
      </Group>
      <Grid gutter="md">
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Card withBorder padding="sm">
            <Title order={2} size="h4" mb="xs">
              Series
            </Title>
            {series.length === 0 ? (
              <Empty>No series have arrived yet.</Empty>
            ) : (
              <ScrollArea type="auto" mb="sm">
                <Group gap="xs" wrap="nowrap" role="list" aria-label="Series" pb={6}>
                  {series.map((item) => (
                    <SeriesTile key={item.uid} series={item} selected={item.uid === selected?.uid} onSelect={() => setSeriesUid(item.uid)} />
                  ))}
                </Group>
              </ScrollArea>
            )}
            {selected && <PreviewViewer instances={instances} label={`Series ${selected.number ?? ''} ${selected.description ?? ''}`.trim()} />}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Stack gap="md">
            <Card withBorder padding="sm">
              <Title order={2} size="h4" mb="xs">
                Delivery
              </Title>
              {deliveries.error && !deliveries.data && <ErrorState title="Delivery status unavailable" error={deliveries.error} />}
              {!deliveries.data && !deliveries.error && <Loading label="Loading deliveries…" />}
              {deliveries.data && <DeliveryTimeline rows={deliveries.data.rows} timelines={deliveries.data.timelines} onRetry={retry} retrying={retrying} retryMessages={retryMessages} />}
            </Card>
            <Card withBorder padding="sm">
              <Title order={2} size="h4" mb="xs">
                Order and report
              </Title>
              {order ? (
                <Text size="sm">
                  Order: {order.code?.text ?? order.code?.coding?.[0]?.display ?? order.code?.coding?.[0]?.code ?? 'unnamed'} <Badge size="xs">{order.status}</Badge>
                </Text>
              ) : (
                <Text size="sm" c="dimmed">
                  No order linked to this study.
                </Text>
              )}
              {reports.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No report yet.
                </Text>
              ) : (
                reports.map((report) => (
                  <Stack key={report.id} gap={2} mt="xs">
                    <Text size="sm" fw={600}>
                      Report ({report.status}) {formatDateTime(report.issued ?? report.effectiveDateTime)}
                    </Text>
                    {report.conclusion && <Text size="sm">{report.conclusion}</Text>}
                  </Stack>
                ))
              )}
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
      <Card withBorder padding="sm">
        <Title order={2} size="h4" mb="xs">
          DICOM metadata and originals
        </Title>
        <Text size="sm">Study Instance UID: {studyUid(study) ?? '—'}</Text>
        {selected && <OriginalsTable study={study} series={selected} />}
      </Card>
    </Stack>
  );
}

/** `ImagingStudy/<id>` of the resource a dead-lettered delivery carried. */
function deliveryFocus(body: unknown): string | undefined {
  const resource = body as { resourceType?: unknown; id?: unknown } | undefined;
  return typeof resource?.resourceType === 'string' && typeof resource.id === 'string' ? `${resource.resourceType}/${resource.id}` : undefined;
}

function SeriesTile({ series, selected, onSelect }: { series: ImagingStudySeries; selected: boolean; onSelect: () => void }): ReactNode {
  const thumbnail = thumbnailOf(series);
  return (
    <UnstyledButton
      role="listitem"
      onClick={onSelect}
      aria-pressed={selected}
      aria-label={`Series ${series.number ?? ''} ${series.description ?? ''}, ${series.instance?.length ?? 0} images`}
      style={{ border: `2px solid ${selected ? 'var(--mantine-color-blue-6)' : 'var(--mantine-color-gray-3)'}`, borderRadius: 6, padding: 4, width: 104, flex: '0 0 auto' }}
      data-testid="series-tile"
    >
      {thumbnail ? (
        <AuthImage reference={thumbnail} alt="" style={{ width: 92, height: 92, objectFit: 'cover', display: 'block', borderRadius: 4 }} testId="series-thumbnail" />
      ) : (
        <Text size="xs" c="dimmed" h={92} ta="center" pt={36}>
          no thumbnail
        </Text>
      )}
      <Text size="xs" truncate mt={2}>
        {series.number ?? '?'} · {series.modality?.code} · {series.instance?.length ?? 0}
      </Text>
      <Text size="xs" c="dimmed" truncate>
        {series.description ?? series.bodySite?.display ?? ''}
      </Text>
    </UnstyledButton>
  );
}

function OriginalsTable({ study, series }: { study: ImagingStudy; series: ImagingStudySeries }): ReactNode {
  const medplum = useMedplum();
  const [error, setError] = useState<string>();
  const uid = studyUid(study);
  const download = async (sop: string): Promise<void> => {
    setError(undefined);
    try {
      const url = new URL(`dicomweb/studies/${uid}/series/${series.uid}/instances/${sop}`, medplum.getBaseUrl());
      const blob = await medplum.download(url, { headers: { Accept: 'application/dicom; transfer-syntax=*' } });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `${sop}.dcm`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (err) {
      setError(`Download failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return (
    <>
      <Text size="sm">
        Series {series.number ?? '—'}: {series.description ?? '—'} · modality {series.modality?.code ?? '—'} · body site {series.bodySite?.display ?? series.bodySite?.code ?? '—'} · Series Instance UID {series.uid}
      </Text>
      {error && (
        <Text c="red.8" size="sm" role="alert">
          {error}
        </Text>
      )}
      <Table.ScrollContainer minWidth={600} mt="xs">
        <Table verticalSpacing={4} fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>#</Table.Th>
              <Table.Th>SOP Instance UID</Table.Th>
              <Table.Th>SOP Class</Table.Th>
              <Table.Th>Original (WADO-RS)</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {previewInstances(series).map((instance) => (
              <Table.Tr key={instance.uid}>
                <Table.Td>{instance.number ?? '—'}</Table.Td>
                <Table.Td style={{ wordBreak: 'break-all' }}>{instance.uid}</Table.Td>
                <Table.Td>{instance.sopClass ?? '—'}</Table.Td>
                <Table.Td>
                  {uid ? (
                    <Button size="compact-xs" variant="subtle" leftSection={<IconDownload size={12} />} onClick={() => void download(instance.uid)} aria-label={`Download instance ${instance.number ?? instance.uid} as DICOM`}>
                      .dcm
                    </Button>
                  ) : (
                    <Text size="xs" c="dimmed">
                      no study UID
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}
