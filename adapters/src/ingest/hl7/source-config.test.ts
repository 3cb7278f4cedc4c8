import { describe, expect, it } from 'vitest';
import { hl7SourceMappingSchema, resolveIdentifierSystems } from './source-config.ts';

const minimal = { organizationId: '10000004', defaultIdentifierSystem: 'https://rsud-sehat.example/id/' };

describe('hl7SourceMappingSchema', () => {
  it('fills the defaults', () => {
    expect(hl7SourceMappingSchema.parse(minimal)).toEqual({
      ...minimal,
      assigningAuthorities: {},
      identifierTypeSystems: {},
      mrnIdentifierType: 'MR',
      unmappedAuthority: 'derive',
      accessionFrom: ['IPC-1', 'OBR-18'],
      identifierSystems: {},
      timeZone: 'Asia/Jakarta',
      codingSystems: {},
      codeMaps: [],
    });
  });

  it('derives per-facility systems from the organization id (SATUSEHAT conventions) and the default system', () => {
    const systems = resolveIdentifierSystems(hl7SourceMappingSchema.parse(minimal));
    expect(systems).toEqual({
      visit: 'http://sys-ids.kemkes.go.id/encounter/10000004',
      placerOrder: 'http://sys-ids.kemkes.go.id/servicerequest/10000004',
      fillerOrder: 'https://rsud-sehat.example/id/filler-order',
      accession: 'http://sys-ids.kemkes.go.id/acsn/10000004',
      appointment: 'https://rsud-sehat.example/id/appointment',
      placerAppointment: 'https://rsud-sehat.example/id/placer-appointment',
      practitioner: 'https://rsud-sehat.example/id/practitioner',
      location: 'http://sys-ids.kemkes.go.id/location/10000004',
      observation: 'http://sys-ids.kemkes.go.id/observation/10000004',
      relatedPerson: 'https://rsud-sehat.example/id/related-person',
      allergy: 'https://rsud-sehat.example/id/allergy',
      condition: 'https://rsud-sehat.example/id/condition',
      localCodes: 'https://rsud-sehat.example/id/CodeSystem',
    });
  });

  it('lets the source override any system, the accession system included', () => {
    const config = hl7SourceMappingSchema.parse({
      ...minimal,
      accessionSystem: 'https://pacs.example/acsn',
      identifierSystems: { visit: 'https://rsud-sehat.example/id/visit' },
    });
    expect(resolveIdentifierSystems(config)).toMatchObject({ accession: 'https://pacs.example/acsn', visit: 'https://rsud-sehat.example/id/visit' });
  });

  it.each([
    [{ ...minimal, timeZone: 'Asia/Jakrta' }, 'timeZone', 'an IANA time zone'],
    [{ ...minimal, defaultIdentifierSystem: 'rsud mrn' }, 'defaultIdentifierSystem', 'an absolute URI'],
    [{ ...minimal, assigningAuthorities: { RSUDSS: 'not a uri' } }, 'assigningAuthorities.RSUDSS', 'an absolute URI'],
    [{ ...minimal, accessionFrom: ['OBR18'] }, 'accessionFrom.0', 'an HL7 field reference'],
    [{ ...minimal, accessionFrom: [] }, 'accessionFrom', ''],
    [{ ...minimal, unmappedAuthority: 'ignore' }, 'unmappedAuthority', ''],
    [{ ...minimal, assigningAuthority: {} }, '', ''],
    [{ defaultIdentifierSystem: 'https://x.example/id' }, 'organizationId', ''],
    [{ ...minimal, codeMaps: [{ source: 'https://a.example', target: 'http://loinc.org', codes: { X: { display: 'no code' } } }] }, 'codeMaps.0.codes.X', ''],
  ])('rejects %j at %s', (input, path, message) => {
    const result = hl7SourceMappingSchema.safeParse(input);
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path.join('.')).toBe(path);
    expect(issue?.message).toContain(message);
  });
});
