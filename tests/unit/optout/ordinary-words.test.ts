/** Ordinary words and common given names: the rules that keep fuzzy and ambiguous names from refusing innocent prompts. */
import { buildTextIndex, type ProtectedEntry } from '../../../src/optout/matching';
import { isDictionaryWord, isGivenName, isKnownWord } from '../../../src/optout/matching/common-words';

const entry = (
  id: string,
  kind: ProtectedEntry['kind'],
  canonicalName: string,
  aliases: string[] = [],
  descriptions: string[] = [],
  ownerId = id,
): ProtectedEntry => ({
  id,
  ownerId,
  ownerName: ownerId,
  kind,
  canonicalName,
  aliases,
  descriptions,
  policy: 'block',
  licensees: [],
});

const index = buildTextIndex([
  entry('hulk', 'character', 'Hulk', ['Bruce Banner'], ['giant green rage monster'], 'marvel'),
  entry('spiderman', 'character', 'Spider-Man', [], [], 'marvel'),
  entry('elvis', 'real_person', 'Elvis Presley', ['Elvis']),
  entry('coke', 'brand', 'Coca-Cola', ['Coke']),
  entry('mario', 'character', 'Super Mario', ['Mario'], ['mustached plumber red cap'], 'nintendo'),
  entry('batman', 'character', 'Batman', ['Dark Knight'], ['gotham masked vigilante'], 'dc'),
  entry('tomhanks', 'real_person', 'Tom Hanks'),
  entry('lily', 'character', 'Lily', [], ['singing mermaid']),
  entry('paulrudd', 'real_person', 'Paul Rudd'),
]);
const ids = (prompt: string): string[] => index.match(prompt).map((m) => m.entryId);

describe('lexicon', () => {
  it('knows lower-case dictionary words and their regular derivations', () => {
    for (const w of ['hulk', 'coke', 'knight', 'elvish', 'hulking', 'cokes', 'elvishness'])
      expect([w, isDictionaryWord(w)]).toEqual([w, true]);
  });

  it('does not guess -er / -y derivations that make misspelt names look like words', () => {
    for (const w of ['sider', 'spidey', 'pikachu', 'beyonse', 'shwarzeneger'])
      expect([w, isDictionaryWord(w)]).toEqual([w, false]);
  });

  it('counts proper nouns of the dictionary as known words (no fuzzy lookups), and lists common given names', () => {
    expect(isKnownWord('maria')).toBe(true);
    expect(isKnownWord('presslee')).toBe(false);
    expect(isGivenName('mario')).toBe(true);
    expect(isGivenName('elvis')).toBe(false);
  });
});

describe('ordinary words do not refuse', () => {
  it.each([
    'a hulk of a man lifting logs',
    'the rusted hulk of a ship on the shore',
    'an elvish forest',
    'a coke bottle shaped vase',
    'a dark knight-themed chess set',
    'Maria and Mario, my grandparents, at their wedding',
    'the mario kart track at a fair',
    'my friend Lily at the beach',
  ])('%s', (prompt) => {
    expect(ids(prompt)).toEqual([]);
  });
});

describe('names still refuse', () => {
  it.each([
    ["the Hulk's fist", 'hulk'],
    ['Hulk dancing on a rooftop', 'hulk'],
    ['the hulk superhero smashing cars', 'hulk'],
    ['Elviss Presslee singing', 'elvis'],
    ['a Coke logo on a truck', 'coke'],
    ['Mario, the Nintendo character, jumping', 'mario'],
    ['M4ri0 jumping over a pipe', 'mario'],
    ['the dark knight watching over gotham', 'batman'],
    ['tom hanks on a boat', 'tomhanks'],
    ['Sider-Man on a roof', 'spiderman'],
    ['Lily the singing mermaid', 'lily'],
    ['paul rudd on a boat', 'paulrudd'],
  ])('%s', (prompt, id) => {
    expect(ids(prompt)).toContain(id);
  });
});
