/**
 * Test bot: records every event it gets (in table test_bot_events of the DATABASE_URL secret),
 * then behaves as the family name (of a Patient or Practitioner) says: Ok, Flaky (fails attempts 1 and 2), Throw,
 * Refuse (throws PermanentError),
 * ThrowValue (throws a non-Error), Hang (spins synchronously), Garbage (returns a function),
 * Crash (uncaught error in a timer), Exit (process.exit in the thread), ReadBack (reads the
 * Patient back with the bot's own hub client).
 */
import type { MedplumClient } from '@medplum/core';
import type { Patient, Practitioner } from '@medplum/fhirtypes';
import { PermanentError } from '@simpul/infra';
import postgres from 'postgres';
import type { SimpulBotEvent } from '../../../src/runtime/bot-event.ts';

let sql: ReturnType<typeof postgres> | undefined;

export async function handler(medplum: MedplumClient, event: SimpulBotEvent<Patient | Practitioner>): Promise<unknown> {
  sql ??= postgres(event.secrets.DATABASE_URL.valueString as string, { max: 2, onnotice: () => undefined });
  const family = (event.input as { name?: { family?: string }[] } | null)?.name?.[0]?.family ?? event.input?.resourceType ?? 'none';
  const record = {
    bot: event.bot,
    contentType: event.contentType,
    inputRef: `${event.input?.resourceType}/${event.input?.id}`,
    secretNames: Object.keys(event.secrets),
    greeting: event.secrets.GREETING?.valueString ?? null,
    idempotencyKey: event.idempotencyKey,
    headers: event.headers,
    attempt: event.attempt,
    interaction: event.interaction,
    subscription: event.subscription,
    versionId: event.versionId,
    traceId: event.traceId,
  };
  await sql`INSERT INTO test_bot_events (bot, family, idempotency_key, attempt, event) VALUES (${event.bot.display ?? ''}, ${family}, ${event.idempotencyKey}, ${event.attempt}, ${sql.json(record as never)})`;
  switch (family) {
    case 'Flaky':
      if (event.attempt < 3) throw new Error(`flaky on attempt ${event.attempt}`);
      return { ok: true };
    case 'Throw':
      throw new Error('bot exploded on purpose');
    case 'Refuse':
      throw new PermanentError('the destination refused this for good');
    case 'ThrowValue':
      throw { not: 'an error' };
    case 'Hang':
      for (;;) {
        // spins: only terminating the thread stops this
      }
    case 'Garbage':
      return () => 'not data';
    case 'Crash':
      setTimeout(() => {
        throw new Error('uncaught in a timer');
      }, 0);
      return new Promise(() => undefined);
    case 'Exit':
      process.exit(3);
    // eslint-disable-next-line no-fallthrough
    case 'ReadBack': {
      const read = await medplum.readResource('Patient', event.input.id as string);
      await sql`UPDATE test_bot_events SET event = event || ${sql.json({ readBack: read.id as string })} WHERE idempotency_key = ${event.idempotencyKey}`;
      return { read: read.id };
    }
    default:
      return { ok: true, family };
  }
}
