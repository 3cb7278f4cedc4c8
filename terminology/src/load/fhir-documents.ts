import { parseAllDocuments } from 'yaml';
import type { TerminologyResource } from '../resource-types.ts';
import { isJsonObject } from '../validate/resource-checks.ts';
import { checkTerminologyResource } from '../validate/validate-resource.ts';
import type { LoadProblem } from './load-problem.ts';
import { TerminologyLoadError } from './load-problem.ts';

/**
 * Terminology resources from FHIR JSON: one resource, a Bundle of them, or a list of either.
 * `source` names the text in problems (usually the file path). Throws TerminologyLoadError.
 */
export function parseTerminologyJson(text: string, source: string): TerminologyResource[] {
  let document: unknown;
  try {
    document = JSON.parse(stripByteOrderMark(text));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new TerminologyLoadError([{ source, line: jsonErrorLine(text, message), message: `not valid JSON: ${message}` }], {
      cause: error,
    });
  }
  return collectOrThrow([document], source);
}

/**
 * Terminology resources from YAML with the same shapes as JSON; several `---` documents may
 * follow each other. Anchors and aliases are capped by the yaml library (no "billion laughs").
 */
export function parseTerminologyYaml(text: string, source: string): TerminologyResource[] {
  const documents = parseAllDocuments(stripByteOrderMark(text));
  const list = Array.isArray(documents) ? documents : [documents];
  const problems: LoadProblem[] = [];
  const values: unknown[] = [];
  for (const document of list) {
    for (const error of document.errors) {
      problems.push({ source, line: error.linePos?.[0]?.line, message: `not valid YAML: ${firstLine(error.message)}` });
    }
    if (document.errors.length === 0) {
      try {
        const value: unknown = document.toJS({ maxAliasCount: 100 });
        if (value !== null && value !== undefined) values.push(value);
      } catch (error) {
        problems.push({ source, message: `not usable YAML: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
  }
  if (problems.length > 0) throw new TerminologyLoadError(problems);
  return collectOrThrow(values, source);
}

function collectOrThrow(documents: unknown[], source: string): TerminologyResource[] {
  const resources: TerminologyResource[] = [];
  const problems: LoadProblem[] = [];
  documents.forEach((document, index) => {
    const root = documents.length > 1 ? `[${index}]` : '';
    collect(document, root, source, resources, problems);
  });
  if (problems.length > 0) throw new TerminologyLoadError(problems);
  if (resources.length === 0) throw new TerminologyLoadError([{ source, message: 'holds no CodeSystem, ValueSet or ConceptMap' }]);
  return resources;
}

function collect(value: unknown, root: string, source: string, resources: TerminologyResource[], problems: LoadProblem[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => collect(item, `${root}[${index}]`, source, resources, problems));
    return;
  }
  if (isJsonObject(value) && value.resourceType === 'Bundle') {
    const bundleRoot = root ? `${root}.Bundle` : 'Bundle';
    const entries = value.entry;
    if (entries !== undefined && !Array.isArray(entries)) {
      problems.push({ source, path: `${bundleRoot}.entry`, message: 'must be a list' });
      return;
    }
    (entries ?? []).forEach((entry: unknown, index: number) => {
      const entryPath = `${bundleRoot}.entry[${index}]`;
      if (!isJsonObject(entry) || entry.resource === undefined) {
        problems.push({ source, path: entryPath, message: 'has no resource' });
        return;
      }
      addChecked(entry.resource, `${entryPath}.resource`, source, resources, problems);
    });
    return;
  }
  addChecked(value, root || undefined, source, resources, problems);
}

function addChecked(value: unknown, root: string | undefined, source: string, resources: TerminologyResource[], problems: LoadProblem[]): void {
  const found = checkTerminologyResource(value, root);
  if (found.length === 0) resources.push(value as TerminologyResource);
  for (const problem of found) problems.push({ source, path: problem.path || undefined, message: problem.message });
}

function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** V8 names the offset ("... at position 57 (line 3 column 5)"); turn it into a line when it does. */
function jsonErrorLine(text: string, message: string): number | undefined {
  const line = /line (\d+)/.exec(message);
  if (line) return Number(line[1]);
  const position = /position (\d+)/.exec(message);
  if (!position) return undefined;
  const offset = Number(position[1]);
  let count = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) count++;
  return count;
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
