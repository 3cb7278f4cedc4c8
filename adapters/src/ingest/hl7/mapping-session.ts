import type { Hl7Message } from '@medplum/core';
import type { Coding } from '@medplum/fhirtypes';
import type { CodeTranslator } from './code-translator.ts';
import { chainTranslators, createCodeMapTranslator, createV2TableTranslator } from './code-translator.ts';
import { resolveCodingSystem } from './coding-systems.ts';
import type { MessageHeader } from './message-header.ts';
import { readMessageHeader, TESTED_VERSIONS } from './message-header.ts';
import type { Hl7SourceMapping, IdentifierSystems } from './source-config.ts';
import { authoritySystems, identifierTypeSystems, nationalAuthoritySystems, resolveIdentifierSystems } from './source-config.ts';
import type { SegmentView } from './segment-view.ts';
import { segmentViews } from './segment-view.ts';
import { TransactionBuilder } from './transaction-builder.ts';
import { v2Table } from './v2-code-tables.ts';
import { toFhirDate, toFhirDateTime, toFhirInstant } from './v2-datetime.ts';

/** Something the mapper left out or guessed; the message still maps. */
export interface MappingWarning {
  readonly field: string;
  readonly message: string;
}

/** A code that no code map or translator could bring into the target system. */
export interface UnmappedCode {
  readonly field: string;
  readonly system: string;
  readonly code: string;
  readonly display?: string;
  readonly targetSystem: string;
}

/**
 * The state of mapping one message: its segments, the source's config with defaults resolved,
 * the transaction being built, and what went unmapped. Mappers read and write through it so that
 * none of them repeats config lookups, code translation or timestamp handling.
 */
export class MappingSession {
  readonly config: Hl7SourceMapping;
  readonly systems: IdentifierSystems;
  readonly authorities: Readonly<Record<string, string>>;
  readonly nationalAuthorities: Readonly<Record<string, string>>;
  readonly typeSystems: Readonly<Record<string, string>>;
  readonly segments: readonly SegmentView[];
  readonly header: MessageHeader;
  readonly bundle = new TransactionBuilder();
  readonly warnings: MappingWarning[] = [];
  readonly unmappedCodes: UnmappedCode[] = [];
  readonly #translator: CodeTranslator;
  readonly #unmappedSeen = new Set<string>();

  constructor(message: Hl7Message, config: Hl7SourceMapping, translator: CodeTranslator) {
    this.config = config;
    this.systems = resolveIdentifierSystems(config);
    this.authorities = authoritySystems(config);
    this.nationalAuthorities = nationalAuthoritySystems(config);
    this.typeSystems = identifierTypeSystems(config);
    this.segments = segmentViews(message);
    this.header = readMessageHeader(this.segments[0]);
    // Hospital code maps override everything; the v2 tables back up a terminology service that lacks them.
    this.#translator = chainTranslators(createCodeMapTranslator(config.codeMaps), translator, createV2TableTranslator());
    if (!this.header.version) {
      this.warn('MSH-12', 'no HL7 version given; mapped as 2.5.1');
    } else if (!TESTED_VERSIONS.includes(this.header.version)) {
      this.warn('MSH-12', `version ${this.header.version} is mapped like 2.5.1 but has no fixtures`);
    }
  }

  warn(field: string, message: string): void {
    this.warnings.push({ field, message });
  }

  /** The first segment named `name`. */
  first(name: string): SegmentView | undefined {
    return this.segments.find((segment) => segment.name === name);
  }

  all(name: string): SegmentView[] {
    return this.segments.filter((segment) => segment.name === name);
  }

  /** Translates a code; records it as unmapped and returns undefined when no map knows it. */
  translate(field: string, system: string, code: string, targetSystem: string, display?: string): Coding | undefined {
    if (!code) {
      return undefined;
    }
    const coding = this.translateQuietly(system, code, targetSystem);
    if (!coding) {
      this.reportUnmapped({ field, system, code, display, targetSystem });
    }
    return coding;
  }

  translateQuietly(system: string, code: string, targetSystem: string): Coding | undefined {
    const result = this.#translator.translate(system, code, targetSystem);
    return result.mapped ? result.coding : undefined;
  }

  /** Records an unmapped code once per field, system, code and target. */
  reportUnmapped(unmapped: UnmappedCode): void {
    const key = `${unmapped.field}\n${unmapped.system}\n${unmapped.code}\n${unmapped.targetSystem}`;
    if (!this.#unmappedSeen.has(key)) {
      this.#unmappedSeen.add(key);
      const { display, ...rest } = unmapped;
      this.unmappedCodes.push(display ? { ...rest, display } : rest);
    }
  }

  /** A code from v2 table `table` as a code of `targetSystem` (gender, statuses, ...). */
  tableCode(field: string, table: string, code: string, targetSystem: string): string | undefined {
    return this.translate(field, v2Table(table), code, targetSystem)?.code;
  }

  codingSystem(name: string, field: string, table?: string): string {
    return resolveCodingSystem(name, { configured: this.config.codingSystems, localCodesBase: this.systems.localCodes, field, table });
  }

  date(field: string, raw: string): string | undefined {
    return toFhirDate(raw, field);
  }

  dateTime(field: string, raw: string): string | undefined {
    return toFhirDateTime(raw, field, this.config.timeZone);
  }

  instant(field: string, raw: string): string | undefined {
    return toFhirInstant(raw, field, this.config.timeZone);
  }
}
