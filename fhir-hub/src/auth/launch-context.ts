import type { Queryable } from '../db/connect.ts';

/**
 * The SMART launch context chosen at sign-in (today: the patient, for `launch/patient`), kept per
 * grant so every token of the grant, refreshed ones included, carries the same `patient`.
 */
export async function saveLaunchPatient(db: Queryable, grantId: string, patientId: string): Promise<void> {
  await db`
    INSERT INTO auth_launch_context (grant_id, patient_id) VALUES (${grantId}, ${patientId})
    ON CONFLICT (grant_id) DO UPDATE SET patient_id = EXCLUDED.patient_id`;
}

export async function launchPatient(db: Queryable, grantId: string): Promise<string | undefined> {
  const rows = await db<{ patient_id: string }[]>`SELECT patient_id FROM auth_launch_context WHERE grant_id = ${grantId}`;
  return rows[0]?.patient_id;
}

/** Forgets contexts whose grant is gone (revoked or expired). */
export async function purgeOrphanLaunchContexts(db: Queryable): Promise<number> {
  const result = await db`
    DELETE FROM auth_launch_context c
    WHERE NOT EXISTS (SELECT 1 FROM auth_oidc_model m WHERE m.model = 'Grant' AND m.id = c.grant_id)
      AND c.created_at < now() - interval '1 hour'`;
  return result.count;
}
