/** The bench's load: realistic ADT^A01 messages (about 700 bytes), each with its own MSH-10. */

const SEGMENT = '\r';

export function adtA01(index: number, runId: string): string {
  const controlId = `${runId}${index.toString(36).padStart(6, '0')}`;
  const mrn = (100000 + index).toString();
  return [
    `MSH|^~\\&|SIMRS|RSUD_BANDUNG|SIMPUL|HUB|20240301083000+0700||ADT^A01^ADT_A01|${controlId}|P|2.5.1|||||IDN|UNICODE UTF-8`,
    'EVN|A01|20240301083000+0700|||PETUGAS01^Rahmawati^Sri',
    `PID|1||${mrn}^^^RSUD_BANDUNG^MR~3273015508800001^^^NIK^NNIDN||Santoso^Budi^Hartono^^Bpk.||19800815|M|||Jl. Asia Afrika No. 8^RT 02 RW 05^Bandung^Jawa Barat^40111^IDN||+62-22-4201234^PRN^PH~+62-812-2345-6789^PRN^CP||ind^Bahasa Indonesia|M|ISL`,
    'NK1|1|Santoso^Dewi Ayu|SPO^Spouse^HL70063|Jl. Asia Afrika No. 8^^Bandung^Jawa Barat^40111^IDN|+62-812-9876-5432',
    `PV1|1|I|ICU^ICU-01^BED-3^RSUD_BANDUNG||||DR001^Wijaya^Andi^^^dr.^Sp.PD|||MED||||7|||DR001^Wijaya^Andi^^^dr.^Sp.PD|IP|VN${mrn}|||||||||||||||||||||||||20240301083000+0700`,
    'DG1|1||I10^Essential (primary) hypertension^I10||20240301|A',
  ].join(SEGMENT);
}

export function controlIdOf(message: string): string {
  return message.split(SEGMENT, 1)[0].split('|')[9];
}
