import { Badge, Group, Paper, Text } from '@mantine/core';
import type { Patient } from '@medplum/fhirtypes';
import type { ReactNode } from 'react';
import { formatDateTime, formatName, ihsOf, nikOf } from '../lib/imaging-study.ts';
import { IHS_SYSTEM, NIK_SYSTEM } from '../lib/fhir-names.ts';
import { Link } from '../router.tsx';

/** Name, sex, birth date, NIK, IHS number and the other identifiers (with their system as a hint). */
export function PatientBanner({ patient }: { patient: Patient }): ReactNode {
  const others = (patient.identifier ?? []).filter((identifier) => identifier.system !== NIK_SYSTEM && identifier.system !== IHS_SYSTEM && identifier.value);
  return (
    <Paper withBorder p="sm" radius="sm" bg="gray.0" data-testid="patient-banner" component="section" aria-label="Patient">
      <Group gap="lg" wrap="wrap">
        <Text fw={700} size="lg">
          <Link to={`patient/${patient.id}`}>{formatName(patient.name)}</Link>
        </Text>
        <Field label="Sex" value={patient.gender ?? '—'} />
        <Field label="Born" value={patient.birthDate ? formatDateTime(patient.birthDate) : '—'} />
        <Field label="NIK" value={nikOf(patient) ?? '—'} />
        <Field label="IHS number" value={ihsOf(patient) ?? '—'} />
        {others.map((identifier) => (
          <Field key={`${identifier.system}|${identifier.value}`} label={identifier.type?.text ?? identifier.type?.coding?.[0]?.code ?? 'ID'} value={identifier.value as string} hint={identifier.system} />
        ))}
        {patient.active === false && <Badge color="gray">inactive record</Badge>}
      </Group>
    </Paper>
  );
}

function Field({ label, value, hint }: { label: string; value: string; hint?: string }): ReactNode {
  return (
    <Text size="sm" title={hint}>
      <Text span c="dimmed" size="sm">
        {label}{' '}
      </Text>
      {value}
    </Text>
  );
}
