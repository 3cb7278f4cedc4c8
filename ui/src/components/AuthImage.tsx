import { Center, Loader, Text } from '@mantine/core';
import { useMedplum } from '@medplum/react-hooks';
import { useEffect, useState, type CSSProperties, type ReactNode } from 'react';

export interface AuthImageProps {
  /** `Binary/<id>` */
  reference: string;
  alt: string;
  style?: CSSProperties;
  testId?: string;
  onLoad?: (image: HTMLImageElement) => void;
}

/**
 * An image held as a FHIR Binary: fetched with the signed-in token (an <img src> cannot send it) and
 * shown from an object URL, released when the image changes or leaves the page.
 */
export function AuthImage({ reference, alt, style, testId, onLoad }: AuthImageProps): ReactNode {
  const medplum = useMedplum();
  const [url, setUrl] = useState<string>();
  const [failed, setFailed] = useState<string>();
  useEffect(() => {
    let objectUrl: string | undefined;
    let cancelled = false;
    setUrl(undefined);
    setFailed(undefined);
    const id = reference.replace(/^Binary\//, '');
    medplum
      .download(medplum.fhirUrl('Binary', id), { headers: { Accept: 'image/jpeg, image/*;q=0.9' } })
      .then((blob) => {
        if (cancelled) return;
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      })
      .catch((err: unknown) => {
        if (!cancelled) setFailed(err instanceof Error ? err.message : String(err));
      });
    return () => {
      cancelled = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [medplum, reference]);
  if (failed) {
    return (
      <Center style={{ ...style, minHeight: 40 }} bg="gray.1">
        <Text size="xs" c="red.8" title={failed}>
          Image unavailable
        </Text>
      </Center>
    );
  }
  if (!url) {
    return (
      <Center style={{ ...style, minHeight: 40 }} aria-label={`Loading ${alt}`}>
        <Loader size="xs" />
      </Center>
    );
  }
  return <img src={url} alt={alt} style={style} data-testid={testId} onLoad={(event) => onLoad?.(event.currentTarget)} />;
}
