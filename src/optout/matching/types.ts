/** The shapes the opt-out matching engine speaks: registry entries in, matches out. */
export type EntryKind = 'character' | 'real_person' | 'work' | 'brand';
export type EntryPolicy = 'block' | 'licensed_only';

export type ProtectedEntry = {
  id: string;
  ownerId: string;
  ownerName: string;
  kind: EntryKind;
  canonicalName: string;
  aliases: string[];
  descriptions: string[];
  policy: EntryPolicy;
  /** Account ids allowed to use the entry when policy is licensed_only. */
  licensees: string[];
};

/** Which normalisation made the prompt's text meet the entry, from most to least literal. */
export type MatchRule =
  | 'exact'
  | 'alias'
  | 'diacritics'
  | 'possessive_or_plural'
  | 'split_or_glued'
  | 'separator'
  | 'confusable'
  | 'leetspeak'
  | 'misspelling'
  | 'phonetic'
  | 'description';

export const RULE_RANK: Record<MatchRule, number> = {
  exact: 0,
  alias: 1,
  diacritics: 2,
  possessive_or_plural: 3,
  split_or_glued: 4,
  separator: 5,
  confusable: 6,
  leetspeak: 7,
  misspelling: 8,
  phonetic: 9,
  description: 10,
};

export interface TextMatch {
  entryId: string;
  canonicalName: string;
  kind: EntryKind;
  ownerName: string;
  rule: MatchRule;
  /** Offsets into the caller's original string (UTF-16 code units, end exclusive). */
  span: { start: number; end: number; text: string };
  message: string;
  /**
   * True when the entry is licensed_only and opts.requesterId is one of its licensees. Such matches
   * are still returned (so callers can log the use) but must not cause a refusal.
   */
  allowedByLicence: boolean;
}

export interface MatchOptions {
  requesterId?: string;
}

export interface TextIndex {
  match(prompt: string, opts?: MatchOptions): TextMatch[];
  upsert(e: ProtectedEntry): void;
  remove(id: string): void;
  /** Re-packs every live entry into the static tables (drops tombstones, empties the delta). */
  rebuild(): void;
  readonly size: number;
}
