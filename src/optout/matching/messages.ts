/** Sentences a creator reads when a prompt meets a protected entry. */
import type { MatchRule, ProtectedEntry } from './types';

const KIND_LABEL: Record<ProtectedEntry['kind'], string> = {
  character: 'the protected character',
  real_person: 'the protected real person',
  work: 'the protected work',
  brand: 'the protected brand',
};

const RULE_TAIL: Record<MatchRule, string> = {
  exact: 'names',
  alias: 'is another name for',
  diacritics: 'is, without its accents,',
  possessive_or_plural: 'is a possessive or plural of',
  split_or_glued: 'is, with its words split or joined differently,',
  separator: 'spells, with separators or invisible characters between the letters,',
  confusable: 'spells, with look-alike letters from other alphabets,',
  leetspeak: 'spells, with digits or symbols in place of letters,',
  misspelling: 'looks like',
  phonetic: 'sounds like',
  description: 'describes',
};

const RULE_NOTE: Partial<Record<MatchRule, string>> = {
  separator: 'separators and invisible characters are ignored when matching',
  confusable: 'look-alike letters are matched too',
  leetspeak: 'leetspeak is matched too',
  misspelling: 'misspellings are matched too',
  phonetic: 'sound-alike spellings are matched too',
  split_or_glued: 'spacing is ignored when matching',
};

export function matchMessage(
  entry: ProtectedEntry,
  rule: MatchRule,
  spanText: string,
  allowedByLicence: boolean,
  description?: string,
): string {
  const who = `${KIND_LABEL[entry.kind]} ${entry.canonicalName} (registered by ${entry.ownerName})`;
  let s = `“${spanText}” ${RULE_TAIL[rule]} ${who}`;
  if (rule === 'description' && description) s += `, whose registered description is “${description}”`;
  const note = RULE_NOTE[rule];
  s += note ? `; ${note}.` : '.';
  if (entry.policy === 'licensed_only') {
    s += allowedByLicence
      ? ' Your account holds a licence for it, so it is allowed.'
      : ' Only accounts licensed by the rightsholder may use it.';
  }
  return s;
}
