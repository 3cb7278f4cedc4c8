import type { IdentityConfig } from '@simpul/infra';
import { nameSimilarity } from './normalize-name.ts';
import { dateParts, type PatientFeatures } from './patient-features.ts';

export type MatchGrade = 'certain' | 'probable' | 'possible' | 'certainly-not';

export interface ScoreBreakdown {
  name: number;
  birthDate: number;
  sex: number;
  phone: number;
  address: number;
}

export interface PairScore {
  /** Sum of the breakdown, or `match` threshold + max points for a deterministic (identifier) match. */
  total: number;
  /** 0..1, for `Bundle.entry.search.score`. */
  normalized: number;
  breakdown: ScoreBreakdown;
  /** `system|value` shared in a unique system: the same person. */
  sameIdentifier?: string;
  /** The same national system with different values (NIK A vs NIK B): not the same person. */
  conflictingIdentifier?: string;
  grade: MatchGrade;
}

/** Name similarity below this counts as full disagreement, 1.0 as full agreement, linear between. */
const NAME_FLOOR = 0.6;

export function scorePair(a: PatientFeatures, b: PatientFeatures, config: IdentityConfig): PairScore {
  const w = config.weights;
  const breakdown: ScoreBreakdown = {
    name: scoreName(a, b, w.name),
    birthDate: scoreBirthDate(a.birthDate, b.birthDate, w.birthDate),
    sex: a.gender && b.gender && a.gender !== 'unknown' && b.gender !== 'unknown' ? (a.gender === b.gender ? w.sex.agree : w.sex.disagree) : 0,
    phone: a.phones.length && b.phones.length ? (a.phones.some((p) => b.phones.includes(p)) ? w.phone.agree : w.phone.disagree) : 0,
    address: scoreAddress(a.address, b.address, w.address),
  };
  const probabilistic = round(breakdown.name + breakdown.birthDate + breakdown.sex + breakdown.phone + breakdown.address);
  const maximum = w.name.agree + w.birthDate.agree + w.sex.agree + w.phone.agree + w.address.agree;
  const { same, conflict } = compareIdentifiers(a.identifiers, b.identifiers, config);
  let total = probabilistic;
  if (same && !conflict) total = Math.max(probabilistic, config.match) + maximum;
  else if (conflict && !same) total = Math.min(probabilistic, config.possible - 1);
  // An equal MRN beside a different NIK is contradictory data: a person must look at it.
  else if (same && conflict) total = Math.max(config.possible, Math.min(probabilistic, config.match - 0.01));
  const grade = gradeOf(total, config, !!conflict && !same);
  const normalized = same && !conflict ? 1 : Math.max(0, Math.min(0.99, probabilistic / maximum));
  return {
    total: round(total),
    normalized: round(normalized),
    breakdown,
    ...(same ? { sameIdentifier: same } : undefined),
    ...(conflict ? { conflictingIdentifier: conflict } : undefined),
    grade,
  };
}

function gradeOf(total: number, config: IdentityConfig, certainlyNot: boolean): MatchGrade {
  if (certainlyNot) return 'certainly-not';
  if (total >= config.match) return 'certain';
  if (total >= (config.match + config.possible) / 2) return 'probable';
  if (total >= config.possible) return 'possible';
  return 'certainly-not';
}

function scoreName(a: PatientFeatures, b: PatientFeatures, weight: { agree: number; disagree: number }): number {
  if (a.names.length === 0 || b.names.length === 0) return 0;
  let best = 0;
  for (const x of a.names) for (const y of b.names) best = Math.max(best, nameSimilarity(x, y));
  const fraction = Math.max(0, Math.min(1, (best - NAME_FLOOR) / (1 - NAME_FLOOR)));
  return round(weight.disagree + (weight.agree - weight.disagree) * fraction);
}

function scoreBirthDate(
  a: string | undefined,
  b: string | undefined,
  weight: { agree: number; swapped: number; typo: number; disagree: number },
): number {
  const x = dateParts(a);
  const y = dateParts(b);
  if (!x || !y) return 0;
  if (a === b) return x.day ? weight.agree : weight.agree / 2;
  if (!x.day || !y.day) return x.year === y.year && (!x.month || !y.month || x.month === y.month) ? weight.typo : weight.disagree;
  if (x.year === y.year && x.day === y.month && x.month === y.day) return weight.swapped;
  const digitsA = (a ?? '').replace(/-/g, '');
  const digitsB = (b ?? '').replace(/-/g, '');
  let differences = 0;
  for (let i = 0; i < digitsA.length; i++) if (digitsA[i] !== digitsB[i]) differences++;
  return differences === 1 ? weight.typo : weight.disagree;
}

function scoreAddress(a: string[], b: string[], weight: { agree: number; disagree: number }): number {
  if (a.length === 0 || b.length === 0) return 0;
  const shared = a.filter((token) => b.includes(token)).length;
  const jaccard = shared / (a.length + b.length - shared);
  return jaccard >= 0.5 ? round(weight.agree * jaccard) : jaccard === 0 ? weight.disagree : 0;
}

function compareIdentifiers(a: string[], b: string[], config: IdentityConfig): { same?: string; conflict?: string } {
  const same = a.find((key) => b.includes(key));
  let conflict: string | undefined;
  for (const unique of config.uniqueIdentifiers) {
    if (unique.kind !== 'national') continue;
    const prefix = `${unique.system}|`;
    const valuesA = a.filter((k) => k.startsWith(prefix));
    const valuesB = b.filter((k) => k.startsWith(prefix));
    if (valuesA.length && valuesB.length && !valuesA.some((k) => valuesB.includes(k))) {
      conflict = unique.system;
      break;
    }
  }
  return { same, conflict };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
