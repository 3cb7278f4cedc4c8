import { describe, expect, it } from 'vitest';
import { jaroWinkler, nameSimilarity, nameTokens, phoneticKey } from './normalize-name.ts';

describe('Indonesian name normalisation', () => {
  it.each([
    ['Hj. Siti Aminah, S.Pd', ['siti', 'aminah']],
    ['dr. Budi Santoso, Sp.PD, M.Kes', ['budi', 'santoso']],
    ['Prof. Dr. Ir. H. Bambang Widjaja', ['bambang', 'wiyaya']],
    ['SOEHARTO', ['suharto']],
    ['Tjahjo Koemolo', ['cahyo', 'kumolo']],
    ['By. Ny. Sari', ['sari']],
    ['H Ahmad', ['h', 'ahmad']],
    ['Tn. Muchtar', ['mukhtar']],
    ["Nur'aini", ['nuraini']],
    ['', []],
  ])('%s → %j', (text, tokens) => {
    expect(nameTokens(text)).toEqual(tokens);
  });

  it('old and new spellings meet', () => {
    expect(nameTokens('Djoko Soesilo')).toEqual(nameTokens('Joko Susilo'));
    expect(nameTokens('Jusuf')).toEqual(nameTokens('Yusuf'));
    expect(nameTokens('Chairul')).toEqual(nameTokens('Khairul'));
  });

  it('spelling variants share a phonetic key', () => {
    const keys = ['Muhammad', 'Mohammad', 'Mochammad', 'Muhamad'].map((n) => phoneticKey(nameTokens(n)[0]));
    expect(new Set(keys).size).toBe(1);
    expect(phoneticKey('santi')).not.toBe(phoneticKey('budi'));
  });

  it('similarity ignores token order and tolerates one typo, not another name', () => {
    expect(nameSimilarity(nameTokens('Santoso Budi'), nameTokens('Budi Santoso'))).toBe(1);
    expect(nameSimilarity(nameTokens('Budi Santosa'), nameTokens('Budi Santoso'))).toBeGreaterThan(0.9);
    expect(nameSimilarity(nameTokens('Sukarno'), nameTokens('Sukarno Putra'))).toBeGreaterThan(0.9);
    expect(nameSimilarity(nameTokens('Siti Aminah'), nameTokens('Dewi Lestari'))).toBeLessThan(0.6);
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
  });
});
