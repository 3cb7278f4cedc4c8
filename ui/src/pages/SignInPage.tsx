import { Alert, Button, Center, Code, Paper, Stack, Text, Title } from '@mantine/core';
import { useMedplum } from '@medplum/react-hooks';
import { useState, type ReactNode } from 'react';
import type { ViewerConfig } from '../lib/viewer-config.ts';

/** Sends the person to the hub's sign-in page (authorization code + PKCE); explains what is missing when the viewer has no client. */
export function SignInPage({ config, error }: { config: ViewerConfig; error?: string }): ReactNode {
  const medplum = useMedplum();
  const [starting, setStarting] = useState(false);
  const [failed, setFailed] = useState<string>();
  const start = async (): Promise<void> => {
    setStarting(true);
    try {
      await medplum.signInWithRedirect({ clientId: config.clientId as string, redirectUri: config.redirectUri, scope: config.scope });
    } catch (err) {
      setFailed(err instanceof Error ? err.message : String(err));
      setStarting(false);
    }
  };
  return (
    <Center mih="80vh" p="md">
      <Paper withBorder p="xl" maw={520} w="100%" component="main">
        <Stack>
          <Title order={1} size="h2">
            Simpul viewer
          </Title>
          <Text>Imaging worklist, study previews, patient chart and the integration monitor of this hub.</Text>
          {(error ?? failed) && (
            <Alert color="red" role="alert" title="Sign-in did not complete">
              {error ?? failed}
            </Alert>
          )}
          {config.clientId ? (
            <Button size="md" onClick={() => void start()} loading={starting} data-testid="sign-in">
              Sign in
            </Button>
          ) : (
            <Alert color="orange" title="The viewer is not registered with this hub yet" role="alert">
              <Text size="sm">An operator registers it once, on the hub's machine:</Text>
              <Code block mt="xs">
                {config.setup}
              </Code>
              <Text size="sm" mt="xs">
                Then add people with <Code>simpul user add &lt;username&gt; --fhir-user Practitioner/&lt;id&gt;</Code> and reload this page.
              </Text>
            </Alert>
          )}
        </Stack>
      </Paper>
    </Center>
  );
}
