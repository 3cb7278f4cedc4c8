import { Alert, Badge, Button, Card, Checkbox, Code, Grid, Group, Pagination, ScrollArea, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import type { Resource } from '@medplum/fhirtypes';
import { useMedplum } from '@medplum/react-hooks';
import { IconPlayerPlay } from '@tabler/icons-react';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useAdminAccess } from '../../admin-access.tsx';
import { Empty, Loading } from '../../components/states.tsx';
import type { StoredMessage } from '../../lib/admin-api.ts';
import { prettyPayload, segmentLines } from '../../lib/hl7-view.ts';
import { formatDateTime } from '../../lib/imaging-study.ts';
import { useAsync } from '../../lib/use-async.ts';
import { AdminGate } from '../MonitorPage.tsx';

const PAGE = 25;
const STATUS_COLOR: Record<StoredMessage['status'], string> = { received: 'gray', mapped: 'blue', stored: 'green', error: 'red' };

interface Filters {
  status?: string;
  source?: string;
  type?: string;
  text?: string;
  patient?: string;
}

/** The message store: filter, read the raw message beside the FHIR it became, replay one or many. */
export function MessageBrowser(): ReactNode {
  const admin = useAdminAccess();
  const [draft, setDraft] = useState<Filters>({});
  const [filters, setFilters] = useState<Filters>({});
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [openId, setOpenId] = useState<string>();
  const [notice, setNotice] = useState<{ ok: boolean; text: string }>();
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);
  query.set('_count', String(PAGE));
  query.set('_offset', String((page - 1) * PAGE));
  const list = useAsync(() => admin.api.messages(query), `messages/${query.toString()}/${admin.elevated}`, 10_000);

  const replay = async (ids: string[]): Promise<void> => {
    setNotice(undefined);
    try {
      const result = await admin.api.replayMessages(ids);
      setNotice({ ok: true, text: `Replayed ${result.replayed} message${result.replayed === 1 ? '' : 's'}: the ingest maps ${result.replayed === 1 ? 'it' : 'them'} again; the status updates here.` });
      setSelected(new Set());
      list.reload();
    } catch (error) {
      setNotice({ ok: false, text: `Replay failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  };
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    setPage(1);
    setFilters(draft);
  };

  if (list.error && !list.data) return <AdminGate error={list.error} />;
  const messages = list.data?.messages ?? [];
  return (
    <Stack gap="sm">
      <form onSubmit={onSubmit} aria-label="Message filters">
        <Group align="flex-end" gap="sm" wrap="wrap">
          <Select label="Status" placeholder="Any" data={['received', 'mapped', 'stored', 'error']} value={draft.status ?? null} onChange={(value) => setDraft({ ...draft, status: value ?? undefined })} clearable w={130} />
          <TextInput label="Source" value={draft.source ?? ''} onChange={(e) => setDraft({ ...draft, source: e.currentTarget.value || undefined })} w={140} />
          <TextInput label="Type" placeholder="ADT^A01" value={draft.type ?? ''} onChange={(e) => setDraft({ ...draft, type: e.currentTarget.value || undefined })} w={120} />
          <TextInput label="Patient identifier" value={draft.patient ?? ''} onChange={(e) => setDraft({ ...draft, patient: e.currentTarget.value || undefined })} w={160} />
          <TextInput label="Text" placeholder="words in the message or error" value={draft.text ?? ''} onChange={(e) => setDraft({ ...draft, text: e.currentTarget.value || undefined })} w={220} />
          <Button type="submit">Search</Button>
          <Button variant="light" leftSection={<IconPlayerPlay size={14} />} disabled={selected.size === 0} onClick={() => void replay([...selected])} data-testid="replay-selected">
            Replay selected ({selected.size})
          </Button>
        </Group>
      </form>
      {notice && (
        <Alert color={notice.ok ? 'green' : 'red'} role="status" data-testid="replay-notice">
          {notice.text}
        </Alert>
      )}
      {!list.data && <Loading label="Loading messages…" />}
      {list.data && messages.length === 0 && <Empty>No message matches.</Empty>}
      {messages.length > 0 && (
        <Table.ScrollContainer minWidth={800}>
          <Table highlightOnHover fz="sm" data-testid="messages">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={36}>
                  <Checkbox
                    aria-label="Select all on this page"
                    checked={messages.every((m) => selected.has(m.id))}
                    onChange={(e) => setSelected(e.currentTarget.checked ? new Set(messages.map((m) => m.id)) : new Set())}
                  />
                </Table.Th>
                <Table.Th>Received</Table.Th>
                <Table.Th>Source</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Control id</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Error</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {messages.map((message) => (
                <Table.Tr key={message.id} bg={message.status === 'error' ? 'red.0' : openId === message.id ? 'blue.0' : undefined} data-testid="message-row" data-status={message.status}>
                  <Table.Td>
                    <Checkbox
                      aria-label={`Select message ${message.controlId ?? message.id}`}
                      checked={selected.has(message.id)}
                      onChange={(e) => {
                        const next = new Set(selected);
                        if (e.currentTarget.checked) next.add(message.id);
                        else next.delete(message.id);
                        setSelected(next);
                      }}
                    />
                  </Table.Td>
                  <Table.Td>
                    <Button variant="subtle" size="compact-sm" onClick={() => setOpenId(message.id)} aria-label={`Open message ${message.controlId ?? message.id}`} data-testid="open-message">
                      {formatDateTime(message.receivedAt)}
                    </Button>
                  </Table.Td>
                  <Table.Td>
                    {message.kind}/{message.source}
                  </Table.Td>
                  <Table.Td>{message.messageType ?? '—'}</Table.Td>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{message.controlId ?? '—'}</Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLOR[message.status]} variant="light">
                      {message.status}
                    </Badge>
                    {message.attempts > 1 && (
                      <Text span size="xs" c="dimmed">
                        {' '}
                        ×{message.attempts}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" c="red.8" lineClamp={2}>
                      {message.error ?? ''}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {list.data && list.data.total > PAGE && <Pagination total={Math.ceil(list.data.total / PAGE)} value={page} onChange={setPage} />}
      {openId && <MessageDetail id={openId} onReplay={(id) => void replay([id])} onClose={() => setOpenId(undefined)} />}
    </Stack>
  );
}

function MessageDetail({ id, onReplay, onClose }: { id: string; onReplay: (id: string) => void; onClose: () => void }): ReactNode {
  const admin = useAdminAccess();
  const medplum = useMedplum();
  const detail = useAsync(
    async () => {
      const message = await admin.api.message(id);
      const resources = await Promise.all(
        message.resources.slice(0, 50).map(async (reference) => {
          try {
            return { reference, resource: (await medplum.readReference({ reference })) as Resource };
          } catch (error) {
            return { reference, error: error instanceof Error ? error.message : String(error) };
          }
        }),
      );
      return { message, resources };
    },
    `message/${id}`,
  );
  if (detail.error && !detail.data) return <AdminGate error={detail.error} />;
  if (!detail.data) return <Loading label="Loading the message…" />;
  const { message, resources } = detail.data;
  const isHl7 = message.contentType.includes('hl7') || message.raw.startsWith('MSH');
  return (
    <Card withBorder padding="sm" data-testid="message-detail">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">
          {message.messageType ?? message.kind} from {message.source} · {message.controlId ?? message.id}
        </Title>
        <Group gap="xs">
          <Button size="xs" leftSection={<IconPlayerPlay size={14} />} onClick={() => onReplay(message.id)} data-testid="replay-one">
            Replay this message
          </Button>
          <Button size="xs" variant="default" onClick={onClose}>
            Close
          </Button>
        </Group>
      </Group>
      {message.error && (
        <Alert color="red" title="Error" mb="xs" data-testid="message-error">
          {message.error}
        </Alert>
      )}
      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Text fw={600} size="sm" mb={4}>
            Raw message ({message.contentType})
          </Text>
          <ScrollArea h={380} type="auto" bg="gray.0" p="xs" style={{ borderRadius: 4 }}>
            {isHl7 ? (
              <pre style={{ margin: 0, fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }} data-testid="raw-message">
                {segmentLines(message.raw, message.error).map((line) => (
                  <div key={line.index} style={line.flagged ? { background: 'var(--mantine-color-red-1)', outline: '1px solid var(--mantine-color-red-5)' } : undefined} data-flagged={line.flagged || undefined}>
                    {line.text}
                  </div>
                ))}
              </pre>
            ) : (
              <Code block data-testid="raw-message">
                {prettyPayload(message.raw, message.contentType)}
              </Code>
            )}
          </ScrollArea>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Text fw={600} size="sm" mb={4}>
            FHIR it produced ({message.resources.length})
          </Text>
          <ScrollArea h={380} type="auto" bg="gray.0" p="xs" style={{ borderRadius: 4 }}>
            {resources.length === 0 ? (
              <Text size="sm" c="dimmed">
                {message.status === 'error' ? 'Nothing: the message failed before it was stored.' : 'Nothing recorded yet.'}
              </Text>
            ) : (
              resources.map((item) => (
                <div key={item.reference}>
                  <Text size="xs" fw={600}>
                    {item.reference}
                  </Text>
                  {'resource' in item ? (
                    <pre style={{ margin: 0, fontSize: 11 }}>{JSON.stringify(item.resource, null, 2)}</pre>
                  ) : (
                    <Text size="xs" c="red.8">
                      {item.error}
                    </Text>
                  )}
                </div>
              ))
            )}
          </ScrollArea>
        </Grid.Col>
      </Grid>
      <Text size="xs" c="dimmed" mt="xs">
        Received {formatDateTime(message.receivedAt)} · updated {formatDateTime(message.updatedAt)} · {message.attempts} attempt{message.attempts === 1 ? '' : 's'} · patients {message.patientIds.join(', ') || '—'}
      </Text>
    </Card>
  );
}
