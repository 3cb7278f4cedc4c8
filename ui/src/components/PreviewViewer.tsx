import { ActionIcon, Box, Group, Slider, Text, Tooltip } from '@mantine/core';
import { IconArrowsMaximize, IconChevronLeft, IconChevronRight, IconZoomIn, IconZoomOut } from '@tabler/icons-react';
import { useEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type ReactNode, type WheelEvent } from 'react';
import type { PreviewInstance } from '../lib/imaging-study.ts';
import { AuthImage } from './AuthImage.tsx';

export interface PreviewViewerProps {
  instances: PreviewInstance[];
  /** Label for the viewer region (series description). */
  label: string;
  /** Draws an instance; the study page passes AuthImage, tests pass a plain element. */
  renderImage?: (instance: PreviewInstance, style: CSSProperties) => ReactNode;
}

const ZOOMS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4];

/**
 * The JPEG preview of one instance at a time: arrow keys, Page Up/Down, Home/End and the wheel move
 * through the series; + / - zoom, 0 or F fits the image to the frame.
 */
export function PreviewViewer({ instances, label, renderImage }: PreviewViewerProps): ReactNode {
  const [index, setIndex] = useState(0);
  const [zoom, setZoom] = useState<number | 'fit'>('fit');
  const frame = useRef<HTMLDivElement>(null);
  const count = instances.length;
  useEffect(() => {
    setIndex(0);
  }, [instances]);
  const go = (next: number): void => setIndex(Math.max(0, Math.min(count - 1, next)));
  const zoomBy = (direction: 1 | -1): void => {
    const currentZoom = zoom === 'fit' ? 1 : zoom;
    const position = ZOOMS.findIndex((value) => value >= currentZoom);
    const nextIndex = Math.max(0, Math.min(ZOOMS.length - 1, (position === -1 ? ZOOMS.length - 1 : position) + direction));
    setZoom(ZOOMS[nextIndex]);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const actions: Record<string, () => void> = {
      ArrowDown: () => go(index + 1),
      ArrowRight: () => go(index + 1),
      PageDown: () => go(index + 10),
      ArrowUp: () => go(index - 1),
      ArrowLeft: () => go(index - 1),
      PageUp: () => go(index - 10),
      Home: () => go(0),
      End: () => go(count - 1),
      '+': () => zoomBy(1),
      '=': () => zoomBy(1),
      '-': () => zoomBy(-1),
      '0': () => setZoom('fit'),
      f: () => setZoom('fit'),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  };
  const onWheel = (event: WheelEvent<HTMLDivElement>): void => {
    if (event.ctrlKey) zoomBy(event.deltaY < 0 ? 1 : -1);
    else if (event.deltaY !== 0) go(index + (event.deltaY > 0 ? 1 : -1));
  };
  // React's wheel listener is passive; the page must not scroll while the wheel moves through the series.
  useEffect(() => {
    const element = frame.current;
    if (!element) return undefined;
    const stop = (event: globalThis.WheelEvent): void => event.preventDefault();
    element.addEventListener('wheel', stop, { passive: false });
    return () => element.removeEventListener('wheel', stop);
  }, []);

  const instance = instances[index];
  const style: CSSProperties =
    zoom === 'fit' ? { maxWidth: '100%', maxHeight: '100%', objectFit: 'contain', display: 'block', margin: 'auto' } : { width: 'auto', transform: `scale(${zoom})`, transformOrigin: 'top left', display: 'block' };
  return (
    <Box>
      <Box
        ref={frame}
        tabIndex={0}
        role="region"
        aria-label={`${label}: image ${count === 0 ? 0 : index + 1} of ${count}. Arrow keys or the wheel move through the series, plus and minus zoom, F fits.`}
        data-testid="preview-viewer"
        onKeyDown={onKeyDown}
        onWheel={onWheel}
        bg="black"
        style={{ height: 'min(60vh, 560px)', overflow: zoom === 'fit' ? 'hidden' : 'auto', display: 'flex', borderRadius: 4, outlineOffset: 2 }}
      >
        {!instance ? (
          <Text c="gray.4" m="auto">
            This series has no instances.
          </Text>
        ) : instance.preview ? (
          (renderImage ?? defaultImage)(instance, style)
        ) : (
          <Text c="gray.4" m="auto" data-testid="preview-pending">
            The preview of this image is not ready yet.
          </Text>
        )}
      </Box>
      <Group justify="space-between" mt="xs" wrap="wrap">
        <Group gap={4}>
          <Tooltip label="Previous image (↑)">
            <ActionIcon variant="default" aria-label="Previous image" onClick={() => go(index - 1)} disabled={index <= 0}>
              <IconChevronLeft size={16} />
            </ActionIcon>
          </Tooltip>
          <Text size="sm" data-testid="preview-position" aria-live="polite" miw={90} ta="center">
            {count === 0 ? '0 / 0' : `${index + 1} / ${count}`}
          </Text>
          <Tooltip label="Next image (↓)">
            <ActionIcon variant="default" aria-label="Next image" onClick={() => go(index + 1)} disabled={index >= count - 1}>
              <IconChevronRight size={16} />
            </ActionIcon>
          </Tooltip>
        </Group>
        {count > 1 && (
          <Slider
            aria-label="Image in series"
            min={1}
            max={count}
            value={index + 1}
            onChange={(value) => go(value - 1)}
            style={{ flex: 1, minWidth: 120 }}
            mx="md"
            label={null}
          />
        )}
        <Group gap={4}>
          <ActionIcon variant="default" aria-label="Zoom out" onClick={() => zoomBy(-1)}>
            <IconZoomOut size={16} />
          </ActionIcon>
          <Text size="sm" miw={48} ta="center" data-testid="preview-zoom">
            {zoom === 'fit' ? 'Fit' : `${Math.round(zoom * 100)}%`}
          </Text>
          <ActionIcon variant="default" aria-label="Zoom in" onClick={() => zoomBy(1)}>
            <IconZoomIn size={16} />
          </ActionIcon>
          <ActionIcon variant="default" aria-label="Fit to frame" onClick={() => setZoom('fit')}>
            <IconArrowsMaximize size={16} />
          </ActionIcon>
        </Group>
      </Group>
      {instance && (
        <Text size="xs" c="dimmed" mt={4}>
          Instance {instance.number ?? '—'} · SOP Instance UID {instance.uid}
        </Text>
      )}
    </Box>
  );
}

function defaultImage(instance: PreviewInstance, style: CSSProperties): ReactNode {
  return <AuthImage reference={instance.preview as string} alt={`Preview of instance ${instance.number ?? instance.uid}`} style={style} testId="preview-image" />;
}
