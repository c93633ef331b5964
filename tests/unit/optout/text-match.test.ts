import { buildTextIndex, type TextMatch } from '../../../src/optout/matching';
import { TEST_ENTRIES } from './registry';

const index = buildTextIndex(TEST_ENTRIES);

function only(prompt: string, opts?: { requesterId?: string }): TextMatch {
  const ms = index.match(prompt, opts);
  expect(ms).toHaveLength(1);
  return ms[0];
}

function ids(prompt: string): string[] {
  return index.match(prompt).map((m) => m.entryId);
}

describe('text matching: each rule, with the span in the original prompt', () => {
  const cases: Array<[string, string, string, string]> = [
    ['a clip of Spider-Man swinging', 'spiderman', 'exact', 'Spider-Man'],
    ['Tony Stark in his workshop', 'ironman', 'alias', 'Tony Stark'],
    ['Ѕріdеr-Маn on a roof', 'spiderman', 'confusable', 'Ѕріdеr-Маn'],
    ['Ｂａｔｍａｎ in the rain', 'batman', 'confusable', 'Ｂａｔｍａｎ'],
    ['S.p-i d/e_r-Man on a roof', 'spiderman', 'separator', 'S.p-i d/e_r-Man'],
    ['Bat\u200Bman on a roof', 'batman', 'separator', 'Bat\u200Bman'],
    ['Sp1d3r-M4n jumping', 'spiderman', 'leetspeak', 'Sp1d3r-M4n'],
    ['$up3rm@n flying', 'superman', 'leetspeak', '$up3rm@n'],
    ['spiderman eating pizza', 'spiderman', 'split_or_glued', 'spiderman'],
    ['Pika chu in the grass', 'pikachu', 'split_or_glued', 'Pika chu'],
    ['Spidr-Man on a rooftop', 'spiderman', 'misspelling', 'Spidr-Man'],
    ['Harry Pottr on a broom', 'harrypotter', 'misspelling', 'Harry Pottr'],
    ['Schwarzeneger at the gym', 'schwarzenegger', 'misspelling', 'Schwarzeneger'],
    ['Spyderr Mahn climbing a wall', 'spiderman', 'phonetic', 'Spyderr Mahn'],
    ['Tailor Swifft on a stage', 'taylorswift', 'phonetic', 'Tailor Swifft'],
    ['two Pikachus playing', 'pikachu', 'possessive_or_plural', 'Pikachus'],
    ['Pokemon cards on a desk', 'pokemon', 'diacritics', 'Pokemon'],
    ['Pokèmon cards on a desk', 'pokemon', 'diacritics', 'Pokèmon'],
    ['a yellow electric mouse napping', 'pikachu', 'description', 'yellow electric mouse'],
    ['an electric mouse, yellow and round', 'pikachu', 'description', 'electric mouse, yellow'],
  ];
  it.each(cases)('%j matches %s by rule %s', (prompt, entryId, rule, spanText) => {
    const m = index.match(prompt).find((x) => x.entryId === entryId);
    expect(m).toBeDefined();
    expect(m!.rule).toBe(rule);
    expect(m!.span.text).toBe(spanText);
    expect(prompt.slice(m!.span.start, m!.span.end)).toBe(spanText);
  });

  it('finds several names glued into one word', () => {
    expect(ids('batmanvssuperman showdown').sort()).toEqual(['batman', 'superman']);
  });

  it('keeps a possessive name exact and reports the name without the possessive', () => {
    const m = only("Batman's car in a garage");
    expect(m.rule).toBe('exact');
    expect(m.span.text).toBe('Batman');
  });

  it('writes a message naming the evasion, the protected name and the rightsholder', () => {
    const m = only('Spidr-Man on a rooftop');
    expect(m.message).toBe(
      '“Spidr-Man” looks like the protected character Spider-Man (registered by Marvel); misspellings are matched too.',
    );
    expect(m).toMatchObject({ canonicalName: 'Spider-Man', kind: 'character', ownerName: 'Marvel' });
  });
});

describe('text matching: names that are ordinary words need corroboration', () => {
  it.each([
    'flash photography of a frozen lake',
    'a camera flash going off at a party',
    'frozen berries in a glass bowl',
    'an apple orchard in autumn light',
    'The flash of lightning lit the sky',
    'Frozen peas in a bag',
  ])('%j is allowed', (prompt) => {
    expect(index.match(prompt)).toEqual([]);
  });

  it.each([
    ['a photo of Flash running', 'flash'], // capitalised mid-sentence
    ['the flash superhero running', 'flash'], // kind word next to it
    ['Barry Allen, the flash, running', 'flash'], // another alias nearby
    ['watching frozen, the movie, at home', 'frozen'],
    ['Elsa singing in frozen', 'frozen'], // a related entry of the same rightsholder
    ['an apple logo on a laptop', 'apple'],
  ])('%j refuses %s', (prompt, entryId) => {
    expect(ids(prompt)).toContain(entryId);
  });

  it('does not treat ordinary words one letter from a name as a misspelling', () => {
    expect(index.match('a cat man fixing a scratching post')).toEqual([]);
    expect(index.match('shred the cheese')).toEqual([]);
  });

  it('does not read a name hidden inside a longer unknown word', () => {
    expect(index.match('a shreking noise from the attic')).toEqual([]);
  });

  it('needs every distinctive word of a description close together', () => {
    expect(index.match('a yellow mouse sitting beside a noisy electric fan')).toEqual([]);
    expect(index.match('a masked rider at night')).toEqual([]);
  });

  it('prefers the exact name over a fuzzy neighbour of another entry on the same words', () => {
    expect(ids('Superman flying')).toEqual(['superman']);
  });
});

describe('text matching: licences', () => {
  it('returns a licensed_only match flagged allowedByLicence for a licensee, and not for others', () => {
    const licensed = only('Tony Stark in his workshop', { requesterId: 'acct_licensed' });
    expect(licensed.allowedByLicence).toBe(true);
    expect(licensed.message).toContain('holds a licence');
    const other = only('Tony Stark in his workshop', { requesterId: 'acct_other' });
    expect(other.allowedByLicence).toBe(false);
    expect(only('Tony Stark in his workshop').allowedByLicence).toBe(false);
  });

  it('never allows a block entry, whoever asks', () => {
    expect(only('Batman on a roof', { requesterId: 'acct_licensed' }).allowedByLicence).toBe(false);
  });
});

describe('text index: incremental changes and rebuild', () => {
  it('matches an entry right after upsert and stops after remove, with and without rebuild', () => {
    const idx = buildTextIndex(TEST_ENTRIES);
    expect(idx.size).toBe(TEST_ENTRIES.length);
    expect(idx.match('Zorblax Quintara dancing')).toEqual([]);
    idx.upsert({
      id: 'zq',
      ownerId: 'o',
      ownerName: 'Owner',
      kind: 'character',
      canonicalName: 'Zorblax Quintara',
      aliases: ['Zorbie'],
      descriptions: [],
      policy: 'block',
      licensees: [],
    });
    expect(idx.size).toBe(TEST_ENTRIES.length + 1);
    expect(idx.match('Zorblax Quintara dancing').map((m) => m.entryId)).toEqual(['zq']);
    expect(idx.match('Zorblaxx Quintara dancing')[0].rule).toBe('misspelling');
    idx.rebuild();
    expect(idx.match('Zorblax Quintara dancing').map((m) => m.entryId)).toEqual(['zq']);
    idx.remove('zq');
    expect(idx.match('Zorblax Quintara dancing')).toEqual([]);
    expect(idx.size).toBe(TEST_ENTRIES.length);
    idx.rebuild();
    expect(idx.match('Zorblax Quintara dancing')).toEqual([]);
    expect(idx.match('Batman on a roof').map((m) => m.entryId)).toEqual(['batman']);
  });

  it('replaces an entry on upsert with the same id (old aliases no longer match)', () => {
    const idx = buildTextIndex(TEST_ENTRIES);
    idx.upsert({ ...TEST_ENTRIES.find((e) => e.id === 'batman')!, aliases: ['Dark Knight Returns'] });
    expect(idx.match('Bruce Wayne at a gala')).toEqual([]);
    expect(idx.match('Batman at a gala').map((m) => m.entryId)).toEqual(['batman']);
  });
});
