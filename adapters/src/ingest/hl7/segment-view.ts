import type { Hl7Context, Hl7Message, Hl7Segment } from '@medplum/core';
import { decodeV2Text } from './escape-sequences.ts';

/** The HL7 explicit null (`""`): "delete this value". For full replacements it means "absent". */
const HL7_NULL = '""';

/**
 * One repetition of a field (or one component of it, for types nested with subcomponents),
 * read with 1-based indices like the HL7 notation (`CX-4.1`). Values are decoded and trimmed;
 * absent values and the HL7 explicit null read as ''.
 */
export class V2Composite {
  readonly #parts: readonly string[];
  readonly #separator: string;
  readonly #context: Hl7Context;

  constructor(parts: readonly string[], separator: string, context: Hl7Context) {
    this.#parts = parts;
    this.#separator = separator;
    this.#context = context;
  }

  /** Component `index` (its first subcomponent, or subcomponent `sub`), decoded and trimmed. */
  get(index = 1, sub = 1): string {
    const raw = this.#parts[index - 1] ?? '';
    const subParts = this.#separator === this.#context.componentSeparator ? raw.split(this.#context.subcomponentSeparator) : [raw];
    const value = subParts[sub - 1] ?? '';
    return value === HL7_NULL ? '' : decodeV2Text(value, this.#context).trim();
  }

  /** Component `index` with its subcomponents kept (`36643-5&IMP`), decoded and trimmed. */
  whole(index: number): string {
    const raw = this.#parts[index - 1] ?? '';
    return raw === HL7_NULL ? '' : decodeV2Text(raw, this.#context).trim();
  }

  /** Component `index` as a composite of its subcomponents (CX-4 is an HD: `NIK&2.16.1&ISO`). */
  nested(index: number): V2Composite {
    const raw = this.#parts[index - 1] ?? '';
    return new V2Composite(raw.split(this.#context.subcomponentSeparator), this.#context.subcomponentSeparator, this.#context);
  }

  /**
   * The whole repetition as text, untrimmed (TX/FT keep their indentation). Senders that forget
   * to escape a '^' inside text still get their text back, separators included.
   */
  text(): string {
    const parts = [...this.#parts];
    while (parts.length > 1 && parts[parts.length - 1] === '') {
      parts.pop();
    }
    return parts.map((part) => decodeV2Text(part, this.#context)).join(this.#separator);
  }

  get isEmpty(): boolean {
    return this.#parts.every((part) => part === '' || part === HL7_NULL || /^[&]*$/.test(part));
  }
}

/** A segment with its name, its occurrence among segments of that name, and safe field access. */
export class SegmentView {
  readonly name: string;
  /** 1-based occurrence among segments of the same name in the message. */
  readonly occurrence: number;
  readonly segment: Hl7Segment;

  constructor(segment: Hl7Segment, occurrence: number) {
    this.segment = segment;
    this.name = segment.name;
    this.occurrence = occurrence;
  }

  /** First repetition of field `index`; an empty composite when the field is absent. */
  field(index: number): V2Composite {
    return this.repetitionsOf(index)[0] ?? this.#empty();
  }

  /** Every non-empty repetition of field `index`. */
  repetitions(index: number): V2Composite[] {
    return this.repetitionsOf(index).filter((repetition) => !repetition.isEmpty);
  }

  /**
   * Every repetition of a text field (TX, FT, NTE-3) as a line, blank lines included: in text, a
   * repetition is a line break and an empty one is a paragraph break.
   */
  lines(index: number): string[] {
    return this.repetitionsOf(index).map((repetition) => (repetition.isEmpty ? '' : repetition.text()));
  }

  /** Shortcut for `field(index).get(component, sub)`. */
  value(index: number, component = 1, sub = 1): string {
    return this.field(index).get(component, sub);
  }

  /** HL7 notation for a field of this segment, e.g. `PID-7`. */
  ref(index: number, component?: number): string {
    return component ? `${this.name}-${index}.${component}` : `${this.name}-${index}`;
  }

  /** The raw segment text as received. */
  toString(): string {
    return this.segment.toString();
  }

  private repetitionsOf(index: number): V2Composite[] {
    // Hl7Segment.getField is typed as always returning a field but yields undefined past the end.
    const field = this.segment.getField(index) as ReturnType<Hl7Segment['getField']> | undefined;
    if (!field) {
      return [];
    }
    const context = this.segment.context;
    return field.components.map((components) => new V2Composite(components, context.componentSeparator, context));
  }

  #empty(): V2Composite {
    return new V2Composite([], this.segment.context.componentSeparator, this.segment.context);
  }
}

/** Every segment of the message, in order, each with its occurrence number. */
export function segmentViews(message: Hl7Message): SegmentView[] {
  const seen = new Map<string, number>();
  const views: SegmentView[] = [];
  for (const segment of message.segments) {
    if (!segment.name) {
      continue;
    }
    const occurrence = (seen.get(segment.name) ?? 0) + 1;
    seen.set(segment.name, occurrence);
    views.push(new SegmentView(segment, occurrence));
  }
  return views;
}

/** A configurable field reference such as `IPC-1`, `OBR-18` or `ZDS-1.1`. */
export interface FieldPath {
  readonly segment: string;
  readonly field: number;
  readonly component: number;
  readonly sub: number;
}

export const FIELD_PATH_PATTERN = /^([A-Z][A-Z0-9]{2})-(\d{1,3})(?:\.(\d{1,3}))?(?:\.(\d{1,3}))?$/;

export function parseFieldPath(text: string): FieldPath {
  const match = FIELD_PATH_PATTERN.exec(text);
  if (!match) {
    throw new Error(`"${text}" is not an HL7 field reference like OBR-18 or ZDS-1.1`);
  }
  return { segment: match[1], field: Number(match[2]), component: Number(match[3] ?? '1'), sub: Number(match[4] ?? '1') };
}

/** Reads the first non-empty value found at `path` among `segments`, in order. */
export function readFieldPath(path: FieldPath, segments: readonly SegmentView[]): string {
  for (const segment of segments) {
    if (segment.name === path.segment) {
      const value = segment.value(path.field, path.component, path.sub);
      if (value) {
        return value;
      }
    }
  }
  return '';
}
