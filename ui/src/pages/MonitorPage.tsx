import { Alert, Button, Card, Code, Group, PasswordInput, Stack, Tabs, Text, Title } from '@mantine/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useAdminAccess } from '../admin-access.tsx';
import { isForbidden } from '../lib/admin-api.ts';
import { DeadLettersPanel } from './monitor/DeadLettersPanel.tsx';
import { MessageBrowser } from './monitor/MessageBrowser.tsx';
import { OverviewPanel } from './monitor/OverviewPanel.tsx';
import { UnmappedPanel } from './monitor/UnmappedPanel.tsx';

/** What flows, what failed and why: counts and chart, the message store, dead letters, unmapped codes. */
export function MonitorPage(): ReactNode {
  const admin = useAdminAccess();
  const [tab, setTab] = useState<string | null>('overview');
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Integration monitor
        </Title>
        {admin.elevated && (
          <Group gap="xs">
            <Text size="sm" c="dimmed">
              Using an admin token in this tab
            </Text>
            <Button size="xs" variant="default" onClick={admin.signOut}>
              Drop admin access
            </Button>
          </Group>
        )}
      </Group>
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="messages">Messages</Tabs.Tab>
          <Tabs.Tab value="dead">Dead letters</Tabs.Tab>
          <Tabs.Tab value="unmapped">Unmapped codes</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="sm">
          <OverviewPanel />
        </Tabs.Panel>
        <Tabs.Panel value="messages" pt="sm">
          <MessageBrowser />
        </Tabs.Panel>
        <Tabs.Panel value="dead" pt="sm">
          <DeadLettersPanel />
        </Tabs.Panel>
        <Tabs.Panel value="unmapped" pt="sm">
          <UnmappedPanel />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

/** Shown where the admin API refused the person's token: sign in with an admin client for this tab. */
export function AdminGate({ error }: { error: unknown }): ReactNode {
  const admin = useAdminAccess();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<string>();
  if (!isForbidden(error)) {
    return (
      <Alert color="red" title="The admin API answered with an error" role="alert">
        {error instanceof Error ? error.message : String(error)}
      </Alert>
    );
  }
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setFailed(undefined);
    try {
      await admin.signIn(token.trim());
    } catch (err) {
      setFailed(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card withBorder padding="md" maw={560}>
      <Title order={2} size="h4">
        Admin access needed
      </Title>
      <Text size="sm" mt={4}>
        The hub gives its admin API (message store, replay, dead letters) only to admin clients, not to a person&apos;s sign-in. Paste an admin client&apos;s access token (for example{' '}
        <Code>curl -u $SIMPUL_ADMIN_CLIENT_ID:$SIMPUL_ADMIN_CLIENT_SECRET -d grant_type=client_credentials {window.location.origin}/oauth2/token</Code>). It stays in this tab&apos;s memory only and expires within minutes.
      </Text>
      <form onSubmit={(event) => void submit(event)} aria-label="Admin access">
        <Stack gap="xs" mt="sm">
          <PasswordInput label="Admin access token" value={token} onChange={(e) => setToken(e.currentTarget.value)} required autoComplete="off" />
          {failed && (
            <Text c="red.8" size="sm" role="alert">
              {failed}
            </Text>
          )}
          <Button type="submit" loading={busy} w="fit-content">
            Use admin token
          </Button>
        </Stack>
      </form>
    </Card>
  );
}
