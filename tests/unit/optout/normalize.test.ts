import { nameKey, normalizeChars, singular, tokenize } from '../../../src/optout/matching/normalize';

const keys = (s: string): string[] => tokenize(s).map((u) => u.key);

describe('normalisation', () => {
  it('folds case and NFKC width/math forms to ASCII, flagging them as look-alikes', () => {
    expect(keys('ＳＰＩＤＥＲ 𝐒𝐡𝐫𝐞𝐤')).toEqual(['spider', 'shrek']);
    expect(tokenize('ＳＰＩＤＥＲ')[0].confusable).toBe(true);
    expect(tokenize('SPIDER')[0].confusable).toBe(false);
  });

  it('maps Cyrillic, Greek and Cherokee look-alikes to the Latin letters they imitate', () => {
    expect(keys('Ѕріdеr Μаn ᏚᎻᏒᎬᏦ')[0]).toBe('spider');
    expect(keys('Ѕріdеr Μаn')[1]).toBe('man');
    expect(tokenize('Ѕріdеr')[0].confusable).toBe(true);
  });

  it('strips diacritics, including combining marks and zalgo stacks, and widens the span over them', () => {
    expect(keys('Pokémon Beyoncé')).toEqual(['pokemon', 'beyonce']);
    const zalgo = 'S\u0301\u0316h\u0317rek';
    const u = tokenize(zalgo)[0];
    expect(u.key).toBe('shrek');
    expect([u.start, u.end]).toEqual([0, zalgo.length]);
    expect(u.diacritic).toBe(true);
  });

  it('drops zero-width and bidi characters inside a word and remembers they were there', () => {
    const u = tokenize('Bat\u200B\u200Dma\u202En');
    expect(u).toHaveLength(1);
    expect(u[0].key).toBe('batman');
    expect(u[0].invisible).toBe(true);
  });

  it('collapses runs of single characters separated by punctuation or spaces', () => {
    expect(keys('S.p-i d/e_r-Man')).toEqual(['spider', 'man']);
    expect(keys('B a t m a n')).toEqual(['batman']);
    expect(tokenize('B a t m a n')[0].collapsed).toBe(true);
    expect(keys('a b')).toEqual(['a', 'b']); // two letters are not a run
  });

  it('folds leetspeak digits and symbols only inside words, so punctuation stays punctuation', () => {
    expect(keys('Sp1d3r-M4n p1k@chu $uperman')).toEqual(['spider', 'man', 'pikachu', 'superman']);
    expect(keys('Pikachu! costs $5')).toEqual(['pikachu', 'costs', '5']);
    expect(tokenize('Sp1d3r')[0].leet).toBe(true);
    expect(keys('in 2024')).toEqual(['in', '2024']); // numbers on their own stay numbers
  });

  it('folds l, 1 and | to one letter so 1-for-l and 1-for-i both meet the registered name', () => {
    expect(nameKey('Hello').key).toBe(nameKey('H3110').key);
    expect(nameKey('Pikachu').key).toBe(nameKey('P1kachu').key);
  });

  it("drops a possessive 's and marks the unit", () => {
    const u = tokenize("Batman's car and Shrek’s house");
    expect(u.map((x) => x.key)).toEqual(['batman', 'car', 'and', 'shrek', 'house']);
    expect(u[0].possessive).toBe(true);
    expect(u[3].possessive).toBe(true);
  });

  it('keeps original offsets for every character, also across surrogate pairs and expansions', () => {
    const s = 'x 𝐒𝐡𝐫𝐞𝐤 ß';
    const chars = normalizeChars(s);
    const shrek = chars.filter((c) => c.start > 0 && c.start < s.indexOf(' ß') && 'shrek'.includes(c.c));
    expect(s.slice(shrek[0].start, shrek[shrek.length - 1].end)).toBe('𝐒𝐡𝐫𝐞𝐤');
    expect(chars.filter((c) => c.c === 's').length).toBeGreaterThanOrEqual(2); // ß -> ss
  });

  it('marks capitalised words and sentence starts', () => {
    const u = tokenize('Flash photo. A photo of Flash');
    expect(u[0]).toMatchObject({ capital: true, sentenceStart: true });
    expect(u[2]).toMatchObject({ capital: true, sentenceStart: true });
    expect(u[5]).toMatchObject({ key: 'fiash', capital: true, sentenceStart: false });
  });

  it('strips English plurals for description words', () => {
    expect(['mice', 'gloves', 'ponies', 'boxes', 'glass', 'bus'].map(singular)).toEqual([
      'mice',
      'glove',
      'pony',
      'box',
      'glass',
      'bus',
    ]);
  });
});
