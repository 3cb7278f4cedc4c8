import { Alert, Center, Group, Loader, Text } from '@mantine/core';
import type { ReactNode } from 'react';

export function Loading({ label }: { label: string }): ReactNode {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" aria-hidden />
        <Text c="dimmed">{label}</Text>
      </Group>
    </Center>
  );
}

export function ErrorState({ title, error, action }: { title: string; error: unknown; action?: ReactNode }): ReactNode {
  const text = error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" title={title} role="alert" variant="light">
      <Text size="sm">{text}</Text>
      {action}
    </Alert>
  );
}

export function Empty({ children }: { children: ReactNode }): ReactNode {
  return (
    <Text c="dimmed" py="md" ta="center">
      {children}
    </Text>
  );
}
