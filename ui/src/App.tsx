import { AppShell, Burger, Button, Group, NavLink, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMedplum, useMedplumProfile } from '@medplum/react-hooks';
import { IconActivity, IconPhoto } from '@tabler/icons-react';
import type { MouseEvent, ReactNode } from 'react';
import { formatName } from './lib/imaging-study.ts';
import { MonitorPage } from './pages/MonitorPage.tsx';
import { PatientPage } from './pages/PatientPage.tsx';
import { StudyPage } from './pages/StudyPage.tsx';
import { WorklistPage } from './pages/WorklistPage.tsx';
import { Link, hrefOf, useRouter } from './router.tsx';

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The signed-in shell: navigation, who is signed in, and the page for the current route. */
export function App(): ReactNode {
  const medplum = useMedplum();
  const profile = useMedplumProfile();
  const { location, navigate } = useRouter();
  const [opened, { toggle, close }] = useDisclosure();
  const [section, id] = location.path.split('/');
  const name = profile && 'name' in profile ? formatName(profile.name as never) : (profile?.id ?? '');
  let page: ReactNode;
  if (section === '' || section === undefined) page = <WorklistPage />;
  else if (section === 'study' && id && FHIR_ID.test(id)) page = <StudyPage key={id} id={id} />;
  else if (section === 'patient' && id && FHIR_ID.test(id)) page = <PatientPage key={id} id={id} />;
  else if (section === 'monitor') page = <MonitorPage />;
  else
    page = (
      <Text>
        There is no page here. <Link to="">Go to the worklist</Link>.
      </Text>
    );
  const go = (to: string) => (event: MouseEvent) => {
    event.preventDefault();
    close();
    navigate(to);
  };
  return (
    <AppShell header={{ height: 52 }} navbar={{ width: 210, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text fw={700}>Simpul</Text>
          </Group>
          <Group gap="sm">
            <Text size="sm" data-testid="signed-in-as">
              {name}
            </Text>
            <Button
              size="xs"
              variant="default"
              onClick={() => {
                medplum.signOut().catch(() => undefined);
                window.location.assign(hrefOf(''));
              }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <NavLink href={hrefOf('')} label="Worklist" leftSection={<IconPhoto size={16} />} active={section === '' || section === 'study'} onClick={go('')} />
        <NavLink href={hrefOf('monitor')} label="Integration monitor" leftSection={<IconActivity size={16} />} active={section === 'monitor'} onClick={go('monitor')} />
      </AppShell.Navbar>
      <AppShell.Main>{page}</AppShell.Main>
    </AppShell>
  );
}
