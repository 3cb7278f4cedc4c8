import type { Identifier, Patient } from '@medplum/fhirtypes';

/**
 * A generated Indonesian patient population with planted duplicates, for the identity tests and
 * bench/identity. Deterministic for a seed. Each duplicate comes from a second hospital (another MRN
 * system) and carries one realistic defect: a typo, day/month swapped, old spelling plus a title and
 * degree, a missing NIK, token order reversed; `nik` duplicates share the NIK but the name has a typo.
 */

export const NIK_SYSTEM = 'https://fhir.kemkes.go.id/id/nik';
export const MRN_SYSTEM_A = 'https://rs-a.example/id/mrn';
export const MRN_SYSTEM_B = 'https://rs-b.example/id/mrn';

export type DuplicateKind = 'typo' | 'swap' | 'old-spelling' | 'missing-nik' | 'order' | 'nik';
export const DUPLICATE_KINDS: readonly DuplicateKind[] = ['typo', 'swap', 'old-spelling', 'missing-nik', 'order', 'nik'];

export interface SyntheticPatient {
  patient: Patient;
  /** The person this record belongs to (ground truth). */
  person: number;
  kind: 'original' | DuplicateKind;
}

const GIVEN = [
  'Budi', 'Siti', 'Agus', 'Dewi', 'Muhammad', 'Nur', 'Sri', 'Joko', 'Yusuf', 'Rina', 'Ahmad', 'Putri', 'Eko', 'Wahyu', 'Indah',
  'Hendra', 'Yanti', 'Bambang', 'Ratna', 'Rizki', 'Fitri', 'Dian', 'Andi', 'Lestari', 'Hadi', 'Susanti', 'Rudi', 'Wulan', 'Yudi',
  'Nurul', 'Teguh', 'Ayu', 'Slamet', 'Kartika', 'Bayu', 'Maya', 'Gilang', 'Citra', 'Fajar', 'Intan', 'Arif', 'Cahya', 'Dodi',
  'Ika', 'Surya', 'Rahmat', 'Yogi', 'Sukarno', 'Aminah', 'Juwita', 'Tono', 'Endang', 'Kurnia', 'Rosa', 'Samsul', 'Umar', 'Zainal',
];
const FAMILY = [
  'Santoso', 'Wijaya', 'Saputra', 'Hidayat', 'Kusuma', 'Pratama', 'Nugroho', 'Setiawan', 'Lestari', 'Susilo', 'Purnomo', 'Siregar',
  'Nasution', 'Harahap', 'Simanjuntak', 'Sitompul', 'Gunawan', 'Halim', 'Hartono', 'Sulistyo', 'Wibowo', 'Rahayu', 'Utami',
  'Permana', 'Yulianto', 'Suryadi', 'Kurniawan', 'Firmansyah', 'Ramadhan', 'Maharani', 'Suharto', 'Cahyono', 'Junaidi', 'Sembiring',
];
const CITIES = ['Bandung', 'Jakarta Timur', 'Surabaya', 'Medan', 'Semarang', 'Makassar', 'Bekasi', 'Depok', 'Bogor', 'Malang'];
const STREETS = ['Merdeka', 'Sudirman', 'Diponegoro', 'Gatot Subroto', 'Ahmad Yani', 'Pahlawan', 'Kenanga', 'Melati', 'Cempaka'];
const TITLES = ['Hj.', 'H.', 'dr.', 'Ir.', 'Tn.', 'Ny.'];
const DEGREES = ['S.Kom', 'S.Pd', 'Sp.PD', 'M.Kes', 'S.E', 'S.H'];

/** A small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PopulationOptions {
  persons: number;
  /** Share of persons that get a duplicate record from the second hospital. */
  duplicateRate: number;
  seed?: number;
}

/** Originals first (person order), then the duplicates. */
export function generatePopulation(options: PopulationOptions): SyntheticPatient[] {
  const random = prng(options.seed ?? 13);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const originals: SyntheticPatient[] = [];
  const duplicates: SyntheticPatient[] = [];
  for (let person = 0; person < options.persons; person++) {
    const original = makePerson(person, random, pick, digits);
    originals.push({ patient: original, person, kind: 'original' });
    if (random() < options.duplicateRate) {
      const kind = DUPLICATE_KINDS[person % DUPLICATE_KINDS.length];
      duplicates.push({ patient: makeDuplicate(original, kind, person, random, pick, digits), person, kind });
    }
  }
  return [...originals, ...duplicates];
}

function makePerson(person: number, random: () => number, pick: <T>(l: readonly T[]) => T, digits: (n: number) => string): Patient {
  const single = random() < 0.12;
  const given = single ? [pick(GIVEN)] : random() < 0.4 ? [pick(GIVEN), pick(GIVEN)] : [pick(GIVEN)];
  const family = single ? undefined : pick(FAMILY);
  const year = 1940 + Math.floor(random() * 80);
  const month = 1 + Math.floor(random() * 12);
  const day = 1 + Math.floor(random() * 28);
  const identifier: Identifier[] = [{ system: MRN_SYSTEM_A, value: `RM${String(person).padStart(8, '0')}` }];
  if (random() < 0.85) identifier.push({ system: NIK_SYSTEM, value: `3${digits(15)}` });
  return {
    resourceType: 'Patient',
    identifier,
    name: [{ use: 'official', given, ...(family ? { family } : undefined) }],
    gender: random() < 0.5 ? 'male' : 'female',
    birthDate: `${year}-${pad(month)}-${pad(day)}`,
    ...(random() < 0.7 ? { telecom: [{ system: 'phone' as const, value: `08${digits(10)}` }] } : undefined),
    address: [{ line: [`Jl. ${pick(STREETS)} No. ${1 + Math.floor(random() * 200)}`], city: pick(CITIES) }],
  };
}

function makeDuplicate(
  original: Patient,
  kind: DuplicateKind,
  person: number,
  random: () => number,
  pick: <T>(l: readonly T[]) => T,
  digits: (n: number) => string,
): Patient {
  const name = original.name?.[0] ?? {};
  const tokens = [...(name.given ?? []), ...(name.family ? [name.family] : [])];
  const nik = original.identifier?.find((i) => i.system === NIK_SYSTEM);
  const copy: Patient = {
    ...original,
    identifier: [{ system: MRN_SYSTEM_B, value: `B-${digits(7)}` }],
    name: [{ text: tokens.join(' ') }],
    // The second hospital has the phone in 60% of cases, in its own format.
    ...(original.telecom && random() < 0.6 ? { telecom: [{ system: 'phone' as const, value: `+62 ${original.telecom[0].value?.slice(1)}` }] } : { telecom: undefined }),
  };
  if (!copy.telecom) delete copy.telecom;
  if (kind === 'typo') copy.name = [{ text: tokens.map((t, i) => (i === tokens.length - 1 ? typo(t, random) : t)).join(' ') }];
  if (kind === 'swap') {
    const [y, m, d] = (original.birthDate ?? '').split('-');
    copy.birthDate = Number(d) <= 12 && d !== m ? `${y}-${d}-${m}` : `${y}-${m}-${pad(Math.max(1, (Number(d) + 1) % 29))}`;
  }
  if (kind === 'old-spelling') copy.name = [{ text: `${pick(TITLES)} ${tokens.map(oldSpelling).join(' ')}, ${pick(DEGREES)}` }];
  if (kind === 'order') copy.name = [{ text: [...tokens].reverse().join(' ') }];
  if (kind === 'nik' && nik) {
    copy.identifier = [...(copy.identifier ?? []), { ...nik }];
    copy.name = [{ text: tokens.map((t, i) => (i === 0 ? typo(t, random) : t)).join(' ') }];
    delete copy.telecom;
  }
  if (kind === 'missing-nik') copy.address = undefined;
  if (!copy.address) delete copy.address;
  void person;
  return copy;
}

function typo(token: string, random: () => number): string {
  if (token.length < 4) return token + 'h';
  const at = 1 + Math.floor(random() * (token.length - 2));
  const letters = 'aiueonrstkm';
  const replacement = letters[Math.floor(random() * letters.length)];
  return token.slice(0, at) + (replacement === token[at] ? 'x' : replacement) + token.slice(at + 1);
}

function oldSpelling(token: string): string {
  return token.replace(/u/g, 'oe').replace(/j/g, 'dj').replace(/c/g, 'tj').replace(/y/g, 'j').replace(/J/g, 'Dj').replace(/C/g, 'Tj').replace(/Y/g, 'J');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
