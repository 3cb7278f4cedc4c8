import type { Attachment } from '@medplum/fhirtypes';
import type { ObservationGroup } from './order-groups.ts';
import type { SegmentView } from './segment-view.ts';

/** OBX value types that are narrative, which an imaging report carries as its text. */
const NARRATIVE_TYPES = new Set(['TX', 'FT', 'ST']);

/**
 * OBX-3 of a radiology impression: the `&IMP` suffix convention (a subcomponent, so read OBX-3.1
 * whole), LOINC 19005-8, or the words in the display.
 */
function isImpression(obx: SegmentView): boolean {
  const code = obx.field(3).whole(1).toUpperCase();
  return code.endsWith('&IMP') || code === '19005-8' || /impression|kesan|kesimpulan/i.test(obx.value(3, 2));
}

export function isNarrative(obx: SegmentView): boolean {
  return NARRATIVE_TYPES.has(obx.value(2).toUpperCase());
}

export function isEncapsulatedData(obx: SegmentView): boolean {
  return obx.value(2).toUpperCase() === 'ED';
}

export interface ReportText {
  readonly presentedForm: Attachment[];
  readonly conclusion?: string;
}

/**
 * An imaging report's narrative OBX segments become one plain-text `presentedForm` (escape sequences
 * decoded, `\.br\` as line breaks) and a `conclusion`: the impression section when the report marks
 * one, else the whole text.
 */
export function reportText(narrative: readonly ObservationGroup[], title: string | undefined): ReportText {
  if (narrative.length === 0) {
    return { presentedForm: [] };
  }
  const sectionText = (group: ObservationGroup): string =>
    group.obx.lines(5).join('\n');
  const fullText = narrative.map(sectionText).join('\n').trim();
  const impression = narrative.filter((group) => isImpression(group.obx)).map(sectionText).join('\n').trim();
  const attachment: Attachment = {
    contentType: 'text/plain; charset=utf-8',
    data: Buffer.from(fullText, 'utf8').toString('base64'),
  };
  if (title) {
    attachment.title = title;
  }
  return { presentedForm: [attachment], conclusion: impression || fullText };
}

/** ED (OBX-5: source ^ type ^ subtype ^ encoding ^ data), e.g. a PDF of the report → Attachment. */
export function encapsulatedAttachment(obx: SegmentView): Attachment | undefined {
  const ed = obx.field(5);
  const data = ed.get(5);
  if (!data) {
    return undefined;
  }
  const type = ed.get(2).toLowerCase() || 'application';
  const subtype = ed.get(3).toLowerCase() || 'octet-stream';
  const encoding = ed.get(4).toUpperCase();
  const base64 = encoding === 'BASE64' || encoding === 'B64' ? data.replace(/\s+/g, '') : Buffer.from(data, 'utf8').toString('base64');
  const attachment: Attachment = { contentType: `${type}/${subtype}`, data: base64 };
  if (obx.value(3, 2)) {
    attachment.title = obx.value(3, 2);
  }
  return attachment;
}
