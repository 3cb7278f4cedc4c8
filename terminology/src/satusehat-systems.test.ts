import { describe, expect, it } from 'vitest';
import { thrownBy } from '../test/thrown-by.ts';
import { terminologyErrorCode } from './errors.ts';
import { satusehatIdentifierSystems } from './satusehat-systems.ts';

describe('satusehatIdentifierSystems', () => {
  it('builds the per-organization identifier systems the DICOM router uses', () => {
    expect(satusehatIdentifierSystems('10000004')).toEqual({
      acsn: 'http://sys-ids.kemkes.go.id/acsn/10000004',
      serviceRequest: 'http://sys-ids.kemkes.go.id/servicerequest/10000004',
      mrn: 'http://sys-ids.kemkes.go.id/mrn/10000004',
      location: 'http://sys-ids.kemkes.go.id/location/10000004',
      encounter: 'http://sys-ids.kemkes.go.id/encounter/10000004',
    });
  });

  it('refuses an organization id that would bend the URL', () => {
    for (const bad of ['', '10000004/../x', '1|2', 'a b']) {
      expect(terminologyErrorCode(thrownBy(() => satusehatIdentifierSystems(bad))), bad).toBe('SIMPUL-TERM-001');
    }
  });
});
