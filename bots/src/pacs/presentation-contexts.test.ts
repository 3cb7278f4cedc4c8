import { describe, expect, it } from 'vitest';
import { AssociationBatcher } from './association-batches.ts';
import { MAX_PRESENTATION_CONTEXTS, planSend, proposeContexts } from './presentation-contexts.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const ELE = '1.2.840.10008.1.2.1';
const ILE = '1.2.840.10008.1.2';
const JPEG = '1.2.840.10008.1.2.4.50';
const RLE = '1.2.840.10008.1.2.5';

describe('proposeContexts', () => {
  it('proposes each stored syntax on its own plus ELE then ILE per SOP class', () => {
    const contexts = proposeContexts([
      { sopClassUid: CT, transferSyntaxUid: ELE },
      { sopClassUid: CT, transferSyntaxUid: JPEG },
      { sopClassUid: CT, transferSyntaxUid: JPEG },
      { sopClassUid: MR, transferSyntaxUid: ILE },
    ]);
    expect(contexts).toEqual([
      { id: 1, abstractSyntaxUid: CT, transferSyntaxUids: [ELE, ILE] },
      { id: 3, abstractSyntaxUid: CT, transferSyntaxUids: [JPEG] },
      { id: 5, abstractSyntaxUid: MR, transferSyntaxUids: [ILE] },
      { id: 7, abstractSyntaxUid: MR, transferSyntaxUids: [ELE, ILE] },
    ]);
  });
});

describe('planSend', () => {
  it('sends in the stored syntax when it was accepted', () => {
    expect(planSend({ sopClassUid: CT, transferSyntaxUid: JPEG }, [{ abstractSyntaxUid: CT, transferSyntaxUid: ELE }, { abstractSyntaxUid: CT, transferSyntaxUid: JPEG }])).toEqual({
      kind: 'as-stored',
      transferSyntaxUid: JPEG,
    });
  });

  it('re-encodes between the little endian syntaxes, preferring explicit', () => {
    expect(planSend({ sopClassUid: CT, transferSyntaxUid: ILE }, [{ abstractSyntaxUid: CT, transferSyntaxUid: ELE }])).toEqual({ kind: 're-encode', transferSyntaxUid: ELE });
    expect(planSend({ sopClassUid: CT, transferSyntaxUid: ELE }, [{ abstractSyntaxUid: CT, transferSyntaxUid: ILE }])).toEqual({ kind: 're-encode', transferSyntaxUid: ILE });
  });

  it('never decompresses: a compressed instance with only ELE accepted is refused, naming both syntaxes', () => {
    const plan = planSend({ sopClassUid: CT, transferSyntaxUid: RLE }, [{ abstractSyntaxUid: CT, transferSyntaxUid: ELE }]);
    expect(plan.kind).toBe('refused');
    expect(plan.kind === 'refused' && plan.reason).toBe(
      `the destination accepts SOP class ${CT} only in Explicit VR Little Endian (${ELE}); the instance is stored as RLE Lossless (${RLE}) and the PACS driver does not decompress`,
    );
  });

  it('refuses a SOP class the destination did not accept at all', () => {
    const plan = planSend({ sopClassUid: MR, transferSyntaxUid: ELE }, [{ abstractSyntaxUid: CT, transferSyntaxUid: ELE }]);
    expect(plan.kind === 'refused' && plan.reason).toContain(`accepted no presentation context for SOP class ${MR}`);
  });
});

describe('AssociationBatcher', () => {
  it('closes a batch at instancesPerAssociation', () => {
    const batcher = new AssociationBatcher<{ sopClassUid: string; transferSyntaxUid: string; n: number }>(2);
    const closed = [1, 2, 3, 4, 5].map((n) => batcher.add({ sopClassUid: CT, transferSyntaxUid: ELE, n })).filter((batch) => batch !== undefined);
    expect(closed.map((batch) => batch.map((item) => item.n))).toEqual([[1, 2], [3, 4]]);
    expect(batcher.finish().map((item) => item.n)).toEqual([5]);
    expect(batcher.finish()).toEqual([]);
  });

  it('closes a batch before it needs more than 128 presentation contexts', () => {
    const batcher = new AssociationBatcher<{ sopClassUid: string; transferSyntaxUid: string }>(10_000);
    const batches: number[] = [];
    for (let i = 0; i < 100; i++) {
      // Each new SOP class stored as JPEG needs two contexts.
      const closed = batcher.add({ sopClassUid: `1.2.3.${i}`, transferSyntaxUid: JPEG });
      if (closed) batches.push(closed.length);
    }
    batches.push(batcher.finish().length);
    expect(batches).toEqual([MAX_PRESENTATION_CONTEXTS / 2, 100 - MAX_PRESENTATION_CONTEXTS / 2]);
  });
});
