import type { Coding } from '@medplum/fhirtypes';
import type { CodeMap } from './source-config.ts';
import { V2_TABLE_MAPS, v2Table } from './v2-code-tables.ts';

/**
 * Translates a code into a target code system. The ingest worker passes one backed by the
 * terminology service; `createV2TableTranslator()` serves the v2 tables this mapper needs, so the
 * mapper works (and is tested) without it. `mapped: false` returns the source coding unchanged.
 */
export interface CodeTranslator {
  translate(system: string, code: string, targetSystem: string): TranslationResult;
}

export interface TranslationResult {
  readonly coding: Coding;
  readonly mapped: boolean;
}

type TargetCodes = ReadonlyMap<string, Coding>;

/** A translator over fixed tables: `source system → target system → code → coding`. */
class TableTranslator implements CodeTranslator {
  readonly #tables: ReadonlyMap<string, TargetCodes>;

  constructor(tables: ReadonlyMap<string, TargetCodes>) {
    this.#tables = tables;
  }

  translate(system: string, code: string, targetSystem: string): TranslationResult {
    const coding = this.#tables.get(tableKey(system, targetSystem))?.get(code);
    return coding ? { coding: { ...coding }, mapped: true } : { coding: { system, code }, mapped: false };
  }
}

function tableKey(source: string, target: string): string {
  return `${source}\n${target}`;
}

/** The v2 tables of `v2-code-tables.ts` (sex, patient class, abnormal flags, statuses, ...). */
export function createV2TableTranslator(): CodeTranslator {
  const tables = new Map<string, Map<string, Coding>>();
  for (const map of V2_TABLE_MAPS) {
    const codes = new Map<string, Coding>();
    for (const [code, target] of Object.entries(map.codes)) {
      const [targetCode, display] = typeof target === 'string' ? [target, undefined] : target;
      codes.set(code, display ? { system: map.target, code: targetCode, display } : { system: map.target, code: targetCode });
    }
    tables.set(tableKey(v2Table(map.table), map.target), codes);
  }
  return new TableTranslator(tables);
}

/** A source's `codeMaps` config as a translator. */
export function createCodeMapTranslator(codeMaps: readonly CodeMap[]): CodeTranslator {
  const tables = new Map<string, Map<string, Coding>>();
  for (const map of codeMaps) {
    const key = tableKey(map.source, map.target);
    const codes = tables.get(key) ?? new Map<string, Coding>();
    for (const [code, target] of Object.entries(map.codes)) {
      const coding: Coding = typeof target === 'string' ? { system: map.target, code: target } : { system: map.target, code: target.code };
      if (typeof target !== 'string' && target.display) {
        coding.display = target.display;
      }
      codes.set(code, coding);
    }
    tables.set(key, codes);
  }
  return new TableTranslator(tables);
}

/** Asks each translator in turn; the first that maps the code wins. */
export function chainTranslators(...translators: readonly CodeTranslator[]): CodeTranslator {
  return {
    translate(system, code, targetSystem) {
      for (const translator of translators) {
        const result = translator.translate(system, code, targetSystem);
        if (result.mapped) {
          return result;
        }
      }
      return { coding: { system, code }, mapped: false };
    },
  };
}
