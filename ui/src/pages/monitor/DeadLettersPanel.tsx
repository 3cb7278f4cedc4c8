import { Alert, Button, Checkbox, Code, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useAdminAccess } from '../../admin-access.tsx';
import { Empty, Loading } from '../../components/states.tsx';
import { isNotMounted } from '../../lib/admin-api.ts';
import { formatDateTime } from '../../lib/imaging-study.ts';
import { useAsync } from '../../lib/use-async.ts';
import { AdminGate } from '../MonitorPage.tsx';

const QUEUE = /^(?:bot\.[A-Za-z0-9][A-Za-z0-9_-]{0,99}|bots\.audit|ingest)(?:\.dead)?$/;

/** A dead-letter queue (`ingest.dead`, `bot.route-<destination>.dead`, ...): why each failed; replay some or all. */
export function DeadLettersPanel(): ReactNode {
  const admin = useAdminAccess();
  const [draft, setDraft] = useState('ingest.dead');
  const [queue, setQueue] = useState('ingest.dead');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState<{ ok: boolean; text: string }>();
  const list = useAsync(() => admin.api.deadLetters(queue), `dead/${queue}/${admin.elevated}`, 15_000);
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    if (!QUEUE.test(draft.trim())) {
      setNotice({ ok: false, text: 'A queue is bot.<name>, bots.audit or ingest, with or without .dead.' });
      return;
    }
    setNotice(undefined);
    setSelected(new Set());
    setQueue(draft.trim());
  };
  const replay = async (ids: string[] | 'all'): Promise<void> => {
    try {
      const result = await admin.api.replayDeadLetters(queue, ids);
      setNotice({ ok: true, text: `Replayed ${result.replayed} from ${result.queue}.` });
      setSelected(new Set());
      list.reload();
    } catch (error) {
      setNotice({ ok: false, text: `Replay failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  };
  const form = (
    <form onSubmit={onSubmit} aria-label="Dead-letter queue">
      <Group align="flex-end" gap="sm">
        <TextInput label="Queue" description="ingest.dead, bot.route-<destination>.dead, bots.audit.dead" value={draft} onChange={(e) => setDraft(e.currentTarget.value)} w={320} />
        <Button type="submit">Show</Button>
      </Group>
    </form>
  );
  if (list.error && !list.data) {
    return (
      <Stack gap="sm">
        {form}
        {notice && <Alert color={notice.ok ? 'green' : 'red'}>{notice.text}</Alert>}
        {isNotMounted(list.error) ? (
          <Alert color="orange" title="This hub does not offer the dead-letter API yet" data-testid="dead-letters-unavailable">
            <Text size="sm">
              <Code>/admin/dead-letters/:queue</Code> is not mounted on this hub. Until it is, list and replay from a terminal: <Code>simpul replay --queue {queue}</Code>.
            </Text>
          </Alert>
        ) : (
          <AdminGate error={list.error} />
        )}
      </Stack>
    );
  }
  const items = list.data?.items ?? [];
  return (
    <Stack gap="sm">
      {form}
      {notice && (
        <Alert color={notice.ok ? 'green' : 'red'} role="status">
          {notice.text}
        </Alert>
      )}
      {!list.data && <Loading label="Loading dead letters…" />}
      {list.data && items.length === 0 && <Empty>{queue} is empty.</Empty>}
      {items.length > 0 && (
        <>
          <Group gap="xs">
            <Button size="xs" variant="light" disabled={selected.size === 0} onClick={() => void replay([...selected])}>
              Replay selected ({selected.size})
            </Button>
            <Button size="xs" variant="light" color="orange" onClick={() => void replay('all')}>
              Replay all ({list.data?.count})
            </Button>
          </Group>
          <Table.ScrollContainer minWidth={760}>
            <Table fz="sm" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={36} />
                  <Table.Th>Dead since</Table.Th>
                  <Table.Th>Message</Table.Th>
                  <Table.Th>Reason</Table.Th>
                  <Table.Th>Last error</Table.Th>
                  <Table.Th>Attempts / replays</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((item, index) => (
                  <Table.Tr key={item.id ?? index}>
                    <Table.Td>
                      {item.id && (
                        <Checkbox
                          aria-label={`Select ${item.id}`}
                          checked={selected.has(item.id)}
                          onChange={(e) => {
                            const next = new Set(selected);
                            if (e.currentTarget.checked) next.add(item.id as string);
                            else next.delete(item.id as string);
                            setSelected(next);
                          }}
                        />
                      )}
                    </Table.Td>
                    <Table.Td>{formatDateTime(item.deadAt)}</Table.Td>
                    <Table.Td style={{ wordBreak: 'break-all' }}>{item.envelope ? `${item.envelope.kind} from ${item.envelope.source} · ${item.envelope.id}` : (item.rawBody?.slice(0, 120) ?? item.id)}</Table.Td>
                    <Table.Td>{item.reason}</Table.Td>
                    <Table.Td>
                      <Text size="xs" c="red.8">
                        {item.lastError}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {item.attempts} / {item.replays}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </>
      )}
    </Stack>
  );
}
