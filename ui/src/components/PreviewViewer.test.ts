// @vitest-environment jsdom
import { MantineProvider } from '@mantine/core';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { PreviewInstance } from '../lib/imaging-study.ts';
import { PreviewViewer } from './PreviewViewer.tsx';

const instances: PreviewInstance[] = [1, 2, 3].map((n) => ({ uid: `1.2.${n}`, number: n, preview: `Binary/p${n}` }));

function renderViewer(list = instances): void {
  const renderImage = (instance: PreviewInstance) => createElement('span', { 'data-testid': 'shown' }, instance.preview);
  render(createElement(MantineProvider, null, createElement(PreviewViewer, { instances: list, label: 'Series 1', renderImage })));
}

// jsdom lacks the layout APIs Mantine reads; these stand-ins answer "no media query matches, no resize".
window.matchMedia ??= ((query: string) => ({ matches: false, media: query, onchange: null, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, dispatchEvent: () => false })) as typeof window.matchMedia;
globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
} as unknown as typeof ResizeObserver;

afterEach(cleanup);

describe('PreviewViewer', () => {
  it('moves through the series with the keyboard and the wheel, and zooms and fits', () => {
    renderViewer();
    const viewer = screen.getByTestId('preview-viewer');
    expect(screen.getByTestId('shown').textContent).toBe('Binary/p1');
    fireEvent.keyDown(viewer, { key: 'ArrowDown' });
    expect(screen.getByTestId('shown').textContent).toBe('Binary/p2');
    fireEvent.keyDown(viewer, { key: 'End' });
    fireEvent.keyDown(viewer, { key: 'ArrowDown' });
    expect(screen.getByTestId('preview-position').textContent).toBe('3 / 3');
    fireEvent.wheel(viewer, { deltaY: -100 });
    expect(screen.getByTestId('shown').textContent).toBe('Binary/p2');
    fireEvent.keyDown(viewer, { key: '+' });
    expect(screen.getByTestId('preview-zoom').textContent).toBe('150%');
    fireEvent.keyDown(viewer, { key: 'f' });
    expect(screen.getByTestId('preview-zoom').textContent).toBe('Fit');
  });

  it('says when a preview is not ready and when the series is empty', () => {
    renderViewer([{ uid: '1.2.9', number: 1 }]);
    expect(screen.getByTestId('preview-pending').textContent).toContain('not ready');
    cleanup();
    renderViewer([]);
    expect(screen.getByTestId('preview-position').textContent).toBe('0 / 0');
  });
});
