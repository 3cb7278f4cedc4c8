/** Splits a raw HL7 v2 message into segment lines and marks those an error text names (`PID-3`, `PID segment`, `OBX`). */
export interface SegmentLine {
  index: number;
  name: string;
  text: string;
  flagged: boolean;
}

export function segmentLines(raw: string, error?: string): SegmentLine[] {
  const named = new Set<string>();
  for (const match of (error ?? '').matchAll(/\b([A-Z][A-Z0-9]{2})(?:[-.](\d+)|\s+segment)\b/g)) named.add(match[1]);
  return raw
    .split(/\r\n|\r|\n/)
    .filter((line) => line.length > 0)
    .map((text, index) => {
      const name = text.slice(0, 3);
      return { index, name, text, flagged: named.has(name) };
    });
}

/** Pretty JSON when the text is JSON, the text as it is otherwise. */
export function prettyPayload(raw: string, contentType: string): string {
  if (!contentType.includes('json')) return raw;
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}
