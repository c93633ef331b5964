import { allowedEdits, boundedDistance } from '../../../src/optout/matching/edit-distance';
import { phoneticKey } from '../../../src/optout/matching/phonetic';
import { nameKey } from '../../../src/optout/matching/normalize';

const ph = (s: string): string => phoneticKey(nameKey(s).key);

describe('edit distance', () => {
  it('counts substitutions, insertions, deletions and adjacent swaps as one edit each', () => {
    expect(boundedDistance('spiderman', 'spidrman', 2)).toBe(1);
    expect(boundedDistance('spiderman', 'spidreman', 2)).toBe(1);
    expect(boundedDistance('spiderman', 'spiderrman', 2)).toBe(1);
    expect(boundedDistance('spiderman', 'spoderman', 2)).toBe(1);
    expect(boundedDistance('harrypotter', 'harryporter', 2)).toBe(1);
  });

  it('gives up past the bound', () => {
    expect(boundedDistance('batman', 'superman', 2)).toBe(3);
    expect(boundedDistance('a', 'abcdef', 2)).toBe(3);
  });

  it('scales tolerance with name length: none up to 4 letters, one up to 8, two beyond', () => {
    expect([3, 4, 5, 8, 9, 20].map(allowedEdits)).toEqual([0, 0, 1, 1, 2, 2]);
  });
});

describe('phonetic key', () => {
  it.each([
    ['Spider-Man', 'Spyderr Mahn'],
    ['Mickey Mouse', 'Mikkee Mowse'],
    ['Pikachu', 'Peekachoo'],
    ['Taylor Swift', 'Tailor Swifft'],
    ['Schwarzenegger', 'Shwarzenegar'],
    ['Darth Vader', 'Darth Vayder'],
    ['Quinn', 'Kwin'],
    ['Philip', 'Filip'],
  ])('%s and %s sound alike', (a, b) => {
    expect(ph(a)).toBe(ph(b));
  });

  it.each([
    ['Batman', 'Superman'],
    ['Taylor Swift', 'Tom Hanks'],
    ['Pikachu', 'Peacock'],
  ])('%s and %s do not', (a, b) => {
    expect(ph(a)).not.toBe(ph(b));
  });
});
