import type { FhirRepository } from '@medplum/fhir-router';
import type { Patient } from '@medplum/fhirtypes';
import type { IdentityConfig } from '@simpul/infra';
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';
import { identityWriteContext, type IdentityWriteContext } from './identity-context.ts';
import { findCandidates, forgetPatient, orderedPair, readFeatures, saveFeatures, setGolden, type StoredCandidate } from './identity-store.ts';
import { PATIENT_TRANSACTION } from './merge.ts';
import { blockingKeys, patientFeatures, type PatientFeatures } from './patient-features.ts';
import { buildReviewTask } from './review-task.ts';
import { scorePair, type PairScore } from './score.ts';

export interface ScoredCandidate {
  candidate: StoredCandidate;
  score: PairScore;
}

export type MatchOutcome = { action: 'none' } | { action: 'link'; golden: string; score: number } | { action: 'review'; candidates: string[] } | { action: 'skipped'; reason: string };

/**
 * The matching engine: candidates from the blocking index, scored pairwise, and what follows for a
 * stored Patient: an automatic link at or above `match`, a review Task between `possible` and `match`,
 * nothing below. Used by the worker (after each Patient write), `$match` and `simpul identity rebuild`.
 */
export class IdentityMatcher {
  readonly config: IdentityConfig;
  private readonly sql: Sql;
  private readonly repo: FhirRepository;
  private readonly logger: Logger;

  constructor(sql: Sql, repo: FhirRepository, config: IdentityConfig, logger: Logger) {
    this.sql = sql;
    this.repo = repo;
    this.config = config;
    this.logger = logger;
  }

  /** Candidates for these features, best first, with their scores (nothing below `possible` unless asked). */
  async score(features: PatientFeatures, exclude: string[], keepBelowPossible = false): Promise<ScoredCandidate[]> {
    const candidates = await findCandidates(this.sql, blockingKeys(features), exclude, this.config.maxCandidatesPerKey);
    return candidates
      .map((candidate) => ({ candidate, score: scorePair(features, candidate.features, this.config) }))
      .filter((s) => keepBelowPossible || s.score.total >= this.config.possible)
      .sort((a, b) => b.score.total - a.score.total);
  }

  /** Runs matching for one stored Patient and acts on the result. Safe to repeat. */
  /**
   * Saves the stored Patient's features, blocking keys and golden link (its `refer` link); forgets a
   * deleted or merged-away one. True when the compared data changed, so candidates need scoring.
   */
  async refreshStored(patientId: string): Promise<boolean> {
    const [row] = await this.sql<{ content: string }[]>`
      SELECT content FROM resource WHERE resource_type = 'Patient' AND id = ${patientId} AND NOT deleted`;
    const patient = row ? (JSON.parse(row.content) as Patient) : undefined;
    const link = (type: string): string | undefined =>
      patient?.link?.find((l) => l.type === type)?.other?.reference?.replace(/^.*Patient\//, '') || undefined;
    if (!patient || link('replaced-by')) {
      await forgetPatient(this.sql, patientId);
      return false;
    }
    const changed = await saveFeatures(this.sql, patientId, patientFeatures(patient, this.config));
    const refer = link('refer') ?? null;
    const stored = await readFeatures(this.sql, patientId);
    if (stored && stored.goldenId !== refer) await setGolden(this.sql, patientId, refer);
    return changed;
  }

  async matchStored(patientId: string, context: IdentityWriteContext['origin'] = 'auto-link'): Promise<MatchOutcome> {
    const self = await readFeatures(this.sql, patientId);
    if (!self) return { action: 'skipped', reason: 'not a live, unmerged Patient' };
    const ownGolden = self.goldenId ?? self.patientId;
    const scored = (await this.score(self.features, [patientId])).filter(
      (s) => (s.candidate.goldenId ?? s.candidate.patientId) !== ownGolden && s.candidate.goldenId !== patientId,
    );
    if (scored.length === 0) return { action: 'none' };
    const decided = await this.decidedPairs(patientId, scored.map((s) => s.candidate.patientId));
    const open = scored.filter((s) => !decided.has(s.candidate.patientId));
    if (open.length === 0) return { action: 'none' };
    const [best] = open;
    const hasMembers = (await this.sql`SELECT 1 FROM identity_patient WHERE golden_id = ${patientId} LIMIT 1`).length > 0;
    if (best.score.grade === 'certain' && !self.goldenId && !hasMembers) {
      const golden = best.candidate.goldenId ?? best.candidate.patientId;
      await identityWriteContext.run({ origin: context }, () => this.link(patientId, golden));
      this.logger.info({ patient: patientId, golden, score: best.score.total }, 'identity: linked automatically');
      return { action: 'link', golden, score: best.score.total };
    }
    const reviews: string[] = [];
    for (const { candidate, score } of open.filter((s) => s.score.grade !== 'certainly-not')) {
      if (await this.openReview(patientId, candidate.patientId, score)) reviews.push(candidate.patientId);
    }
    return reviews.length > 0 ? { action: 'review', candidates: reviews } : { action: 'none' };
  }

  /**
   * `patient` joins `golden`'s person: `patient.link refer → golden` (this record is valid but the golden
   * record is the one to consult) and `golden.link seealso → patient`.
   */
  async link(patientId: string, goldenId: string): Promise<void> {
    await this.repo.withTransaction(async (tx) => {
      const patient = await tx.readResource<Patient>('Patient', patientId);
      const golden = await tx.readResource<Patient>('Patient', goldenId);
      const refers = (patient.link ?? []).some((l) => l.type === 'refer' && l.other?.reference === `Patient/${goldenId}`);
      if (!refers) {
        await tx.updateResource<Patient>(
          { ...patient, link: [...(patient.link ?? []).filter((l) => l.type !== 'refer'), { type: 'refer', other: { reference: `Patient/${goldenId}` } }] },
          { ifMatch: patient.meta?.versionId },
        );
      }
      if (!(golden.link ?? []).some((l) => l.other?.reference === `Patient/${patientId}`)) {
        await tx.updateResource<Patient>(
          { ...golden, link: [...(golden.link ?? []), { type: 'seealso', other: { reference: `Patient/${patientId}` } }] },
          { ifMatch: golden.meta?.versionId },
        );
      }
    }, PATIENT_TRANSACTION);
  }

  /** Claims the pair (one Task per pair, across replicas) and opens the review Task. */
  private async openReview(patientId: string, candidateId: string, score: PairScore): Promise<boolean> {
    const [a, b] = orderedPair(patientId, candidateId);
    const claimed = await this.sql`
      INSERT INTO identity_pair (a, b, status, score) VALUES (${a}, ${b}, 'review', ${score.total})
      ON CONFLICT (a, b) DO NOTHING RETURNING a`;
    if (claimed.length === 0) return false;
    try {
      const [patient, candidate] = await Promise.all([
        this.repo.readResource<Patient>('Patient', patientId),
        this.repo.readResource<Patient>('Patient', candidateId),
      ]);
      const task = await this.repo.createResource(buildReviewTask(patient, candidate, score));
      await this.sql`UPDATE identity_pair SET task_id = ${task.id} WHERE a = ${a} AND b = ${b}`;
      this.logger.info({ patient: patientId, candidate: candidateId, score: score.total, task: task.id }, 'identity: review task opened');
      return true;
    } catch (err) {
      await this.sql`DELETE FROM identity_pair WHERE a = ${a} AND b = ${b} AND task_id IS NULL`;
      throw err;
    }
  }

  /** Candidates already under review or decided distinct for this patient. */
  private async decidedPairs(patientId: string, candidateIds: string[]): Promise<Set<string>> {
    const rows = await this.sql<{ other: string }[]>`
      SELECT CASE WHEN a = ${patientId} THEN b ELSE a END AS other FROM identity_pair
      WHERE (a = ${patientId} AND b = ANY(${candidateIds})) OR (b = ${patientId} AND a = ANY(${candidateIds}))`;
    return new Set(rows.map((r) => r.other));
  }
}
