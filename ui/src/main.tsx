import '@mantine/core/styles.css';
import { ClientStorage } from '@medplum/core';
import { MantineProvider, createTheme } from '@mantine/core';
import { MedplumProvider } from '@medplum/react-hooks';
import { StrictMode, useEffect, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { AdminAccessProvider } from './admin-access.tsx';
import { App } from './App.tsx';
import { Loading } from './components/states.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { RouterProvider } from './router.tsx';
import { createViewerClient, finishSignIn, loadViewerConfig, type ViewerConfig } from './lib/viewer-config.ts';

const theme = createTheme({ primaryColor: 'blue', defaultRadius: 'sm' });
const storage = new ClientStorage(window.localStorage, 'simpul.viewer.');
const medplum = createViewerClient(storage, () => window.dispatchEvent(new Event('simpul:signed-out')));

interface Startup {
  config?: ViewerConfig;
  error?: string;
}

let startup: Promise<Startup> | undefined;

/** Once per page load (StrictMode runs effects twice in development; an authorization code works once). */
function start(): Promise<Startup> {
  startup ??= (async (): Promise<Startup> => {
    let config: ViewerConfig;
    try {
      config = await loadViewerConfig();
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
    let error: string | undefined;
    await finishSignIn(medplum, storage, config).catch((err: unknown) => {
      error = err instanceof Error ? err.message : String(err);
    });
    await medplum.getProfileAsync().catch(() => undefined);
    return { config, error };
  })();
  return startup;
}

function Root(): ReactNode {
  const [config, setConfig] = useState<ViewerConfig>();
  const [error, setError] = useState<string>();
  const [ready, setReady] = useState(false);
  const [signedIn, setSignedIn] = useState(false);
  useEffect(() => {
    const onSignedOut = (): void => setSignedIn(false);
    window.addEventListener('simpul:signed-out', onSignedOut);
    return () => window.removeEventListener('simpul:signed-out', onSignedOut);
  }, []);
  useEffect(() => {
    void start().then((result) => {
      setConfig(result.config);
      setError(result.error);
      setSignedIn(!!medplum.getProfile());
      setReady(true);
    });
  }, []);
  if (!ready) return <Loading label="Starting the viewer…" />;
  if (!config) return <SignInPage config={{ clientId: null, scope: '', redirectUri: '', setup: 'the hub did not answer /app/config.json' }} error={error} />;
  if (!signedIn) return <SignInPage config={config} error={error} />;
  return (
    <AdminAccessProvider>
      <App />
    </AdminAccessProvider>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <MantineProvider theme={theme}>
      <MedplumProvider medplum={medplum}>
        <RouterProvider>
          <Root />
        </RouterProvider>
      </MedplumProvider>
    </MantineProvider>
  </StrictMode>,
);
