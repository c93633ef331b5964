/**
 * The text index: every registered name (canonical + aliases) becomes a loose key (normalised, units
 * glued). Candidates come from hash lookups, never from scanning entries:
 *  - exact:     hash(window) == hash(key)
 *  - 1-edit:    the deletion neighbourhood (SymSpell): hash(window minus one char) against
 *               hash(key) and hash(key minus one char); candidates are verified with a bounded
 *               edit distance, which also accepts two edits for names longer than 8 letters.
 *  - phonetic:  hash(phoneticKey(window)) == hash(phoneticKey(key))
 * A window is any run of up to maxUnits+2 consecutive prompt units glued together, so split and
 * joined spellings meet the glued key. Descriptions are indexed by their rarest distinctive word and
 * verified by co-occurrence of all their distinctive words within a short window.
 */
import { validatePrompt } from './prompt-guard';
import { charOffsets, nameKey, singular, surfaceForm, tokenize, type Unit } from './normalize';
import { phoneticCode, phoneticKey } from './phonetic';
import { allowedEdits, boundedDistance } from './edit-distance';
import {
  HashMultimap,
  PairBuffer,
  PrefixHash,
  rawHash,
  tagHash,
  TAG_EXACT,
  TAG_PHONETIC,
} from './hash-multimap';
import {
  COMMON_WORDS,
  isCommonWord,
  isDictionaryWord,
  isGivenName,
  isKnownWord,
  isNameDominant,
  STOPWORDS,
} from './common-words';
import { distinctiveWords } from './entry-schema';
import { matchMessage } from './messages';
import {
  RULE_RANK,
  type MatchOptions,
  type MatchRule,
  type ProtectedEntry,
  type TextIndex,
  type TextMatch,
} from './types';

const MIN_FUZZY_KEY = 5;
const MIN_PHONETIC_CODE = 3;
const CONTEXT_RADIUS = 12;
const KIND_RADIUS = 4;
const MAX_WINDOW_UNITS = 8;
const GLUED_MIN = 5;
const MAX_GLUED_UNIT = 48;

/** Words that, close to an ambiguous name, say the prompt means the protected thing. */
const KIND_WORDS_RAW: Record<ProtectedEntry['kind'], string> = {
  character:
    'character characters superhero superheroes hero heroes villain supervillain sidekick cartoon comic comics anime manga costume cosplay mascot animated fanart figurine toy plush',
  work: 'character characters movie movies film films scene scenes sequel prequel franchise series show book novel episode trailer poster soundtrack musical game videogame saga album song cartoon',
  brand:
    // Words naming the brand as a brand; objects ("bottle", "shoe", "store") also go with the ordinary word ("coke bottle").
    'logo logos brand brands advert advertisement commercial product merch trademark',
  real_person:
    'actor actress singer president celebrity rapper musician politician athlete footballer senator ceo star popstar billionaire',
};
const KIND_WORDS: Record<ProtectedEntry['kind'], Set<string>> = Object.fromEntries(
  Object.entries(KIND_WORDS_RAW).map(([k, v]) => [
    k,
    new Set(v.split(/\s+/).map((w) => singular(nameKey(w).key))),
  ]),
) as Record<ProtectedEntry['kind'], Set<string>>;

interface EntryRec {
  entry: ProtectedEntry;
  licensees: Set<string>;
  keys: KeyRec[];
  descs: DescRec[];
  /** Distinctive words of the entry's other names, descriptions and owner, as loose singular keys. */
  context: Set<string>;
  alive: boolean;
}

interface KeyRec {
  id: number;
  rec: EntryRec;
  aliasIndex: number;
  alias: string;
  key: string;
  phon: string;
  phonHash: number;
  surface: string;
  unitCount: number;
  unitKeys: Set<string>;
  /** A lone common given name ("Mario"): capitals prove nothing, it needs context. */
  givenName: boolean;
  /** A full name led by a given name ("Tom Hanks"): a person, never an ordinary phrase. */
  personName: boolean;
  alive: boolean;
}

interface DescRec {
  rec: EntryRec;
  text: string;
  words: string[];
  anchor: string;
  alive: boolean;
}

interface Candidate {
  key: KeyRec | null;
  rec: EntryRec;
  from: number; // first unit
  to: number; // last unit, exclusive
  start: number;
  end: number;
  dist: number;
  rule: MatchRule;
  description?: string;
  /** Needs context before it may refuse. */
  ambiguous: boolean;
  /** Capitals do not count as context (a lone given name). */
  capitalsProveNothing?: boolean;
}

function hashesOfKey(key: string, phon: string, emit: (h: number) => void): void {
  const L = key.length;
  // One tag for a key and its one-deletion neighbourhood: a lookup then finds equal keys and keys one
  // insertion away at once, halving the probes per window; every candidate is verified anyway.
  emit(tagHash(rawHash(key), TAG_EXACT, L));
  if (L >= MIN_FUZZY_KEY) {
    const ph = new PrefixHash(key);
    for (let k = 0; k < L; k++) {
      if (k > 0 && key.charCodeAt(k) === key.charCodeAt(k - 1)) continue;
      emit(tagHash(ph.rangeWithout(0, L, k), TAG_EXACT, L - 1));
    }
    if (phon.length >= MIN_PHONETIC_CODE) emit(tagHash(rawHash(phon), TAG_PHONETIC, phon.length));
  }
}

class TextIndexImpl implements TextIndex {
  private entries = new Map<string, EntryRec>();
  private keys: KeyRec[] = [];
  private table = new HashMultimap();
  private descIndex = new Map<string, DescRec[]>();
  private descFreq = new Map<string, number>();
  private tombstones = 0;
  private maxKeyLen = 0;
  private maxUnits = 1;

  constructor(entries: ProtectedEntry[]) {
    for (const e of entries) this.insertRecords(e, false);
    this.rebuild();
  }

  get size(): number {
    return this.entries.size;
  }

  upsert(e: ProtectedEntry): void {
    if (this.entries.has(e.id)) this.remove(e.id);
    this.insertRecords(e, true);
    // Keep the delta tier small so lookups stay fast; a rebuild is amortised over many upserts.
    if (this.table.deltaSize > Math.max(200_000, this.table.staticSize / 4)) this.rebuild();
  }

  remove(id: string): void {
    const rec = this.entries.get(id);
    if (!rec) return;
    rec.alive = false;
    for (const k of rec.keys) k.alive = false;
    for (const d of rec.descs) {
      d.alive = false;
      const list = this.descIndex.get(d.anchor);
      if (list) {
        const i = list.indexOf(d);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) this.descIndex.delete(d.anchor);
      }
      for (const w of d.words) this.descFreq.set(w, (this.descFreq.get(w) ?? 1) - 1);
    }
    this.tombstones += rec.keys.length;
    this.entries.delete(id);
    if (this.tombstones > Math.max(100_000, this.keys.length / 4)) this.rebuild();
  }

  rebuild(): void {
    const live = this.keys.filter((k) => k.alive);
    live.forEach((k, i) => (k.id = i));
    this.keys = live;
    this.tombstones = 0;
    const buf = new PairBuffer();
    for (const k of live) hashesOfKey(k.key, k.phon, (h) => buf.push(h, k.id));
    this.table.load(buf.hashes, buf.ids, buf.n);
    this.maxKeyLen = 0;
    this.maxUnits = 1;
    for (const k of live) {
      if (k.key.length > this.maxKeyLen) this.maxKeyLen = k.key.length;
      if (k.unitCount > this.maxUnits) this.maxUnits = k.unitCount;
    }
  }

  memoryBytes(): number {
    return this.table.memoryBytes();
  }

  private insertRecords(e: ProtectedEntry, delta: boolean): void {
    // A private copy: a caller mutating its object later must not change what the index holds.
    const entry: ProtectedEntry = {
      ...e,
      aliases: [...e.aliases],
      descriptions: [...e.descriptions],
      licensees: [...e.licensees],
    };
    e = entry;
    const rec: EntryRec = {
      entry,
      licensees: new Set(entry.licensees),
      keys: [],
      descs: [],
      context: new Set(),
      alive: true,
    };
    const names = [e.canonicalName, ...e.aliases];
    const seen = new Set<string>();
    names.forEach((alias, aliasIndex) => {
      const { key, units } = nameKey(alias);
      if (key.length < 3 || seen.has(key)) return;
      seen.add(key);
      const k: KeyRec = {
        id: this.keys.length,
        rec,
        aliasIndex,
        alias,
        key,
        phon: '',
        phonHash: 0,
        surface: surfaceForm(alias),
        unitCount: units.length,
        unitKeys: new Set(units.map((u) => singular(u.key))),
        givenName: units.length === 1 && isGivenName(units[0].plain),
        personName: units.length > 1 && isGivenName(units[0].plain),
        alive: true,
      };
      if (key.length >= MIN_FUZZY_KEY) {
        k.phon = phoneticKey(key);
        k.phonHash = rawHash(k.phon);
      }
      this.keys.push(k);
      rec.keys.push(k);
      if (delta) hashesOfKey(k.key, k.phon, (h) => this.table.addDelta(h, k.id));
      if (key.length > this.maxKeyLen) this.maxKeyLen = key.length;
      if (units.length > this.maxUnits) this.maxUnits = units.length;
      for (const u of units)
        if (!isCommonWord(u.plain) && u.key.length >= 3) rec.context.add(singular(u.key));
    });
    for (const d of e.descriptions) {
      const words = [...new Set(distinctiveWords(d).map((w) => singular(nameKey(w).key)))];
      if (words.length === 0) continue;
      for (const w of words) this.descFreq.set(w, (this.descFreq.get(w) ?? 0) + 1);
      let anchor = words[0];
      for (const w of words) if ((this.descFreq.get(w) ?? 0) < (this.descFreq.get(anchor) ?? 0)) anchor = w;
      const dr: DescRec = { rec, text: d, words, anchor, alive: true };
      rec.descs.push(dr);
      const list = this.descIndex.get(anchor);
      if (list) list.push(dr);
      else this.descIndex.set(anchor, [dr]);
      for (const u of tokenize(d))
        if (!isCommonWord(u.plain) && u.key.length >= 3) rec.context.add(singular(u.key));
    }
    for (const u of tokenize(e.ownerName))
      if (!STOPWORDS.has(u.plain) && u.key.length >= 3) rec.context.add(singular(u.key));
    this.entries.set(e.id, rec);
  }

  match(prompt: string, opts: MatchOptions = {}): TextMatch[] {
    validatePrompt(prompt);
    const units = tokenize(prompt);
    if (units.length === 0 || this.keys.length === 0) return [];
    for (const u of units) u.common = isCommonWord(u.plain) || isCommonWord(singular(u.plain));
    const cands = this.candidates(prompt, units);
    this.descriptionCandidates(units, cands);
    const chosen = this.choose(cands, units);
    return chosen.map((c) => this.toMatch(prompt, c, opts));
  }

  private candidates(prompt: string, units: Unit[]): Candidate[] {
    const n = units.length;
    const starts = new Int32Array(n + 1);
    let glued = '';
    for (let i = 0; i < n; i++) {
      starts[i] = glued.length;
      glued += units[i].key;
    }
    starts[n] = glued.length;
    const ph = new PrefixHash(glued);
    const maxLen = this.maxKeyLen + 2;
    const maxUnits = Math.min(MAX_WINDOW_UNITS, this.maxUnits + 2);
    const out: Candidate[] = [];
    const keys = this.keys;
    const table = this.table;

    // Fuzzy and phonetic lookups only for windows holding at least one unusual word: ordinary words
    // one letter or one sound away from a name ("cat man" ~ "batman") are not evidence of anything.
    const unusual = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      const u = units[i];
      const known = u.common || isKnownWord(u.plain) || isKnownWord(singular(u.plain));
      unusual[i + 1] =
        unusual[i] + (known && !u.leet && !u.confusable && !u.collapsed && !u.invisible ? 0 : 1);
    }
    // joined[i]: units before i that are spaced from their predecessor (so a window is one compound when none are).
    const joined = new Int32Array(n + 1);
    for (let i = 0; i < n; i++)
      joined[i + 1] = joined[i] + (units[i].sepBefore === '-' || units[i].sepBefore === '' ? 0 : 1);
    const exactIds: number[] = [];
    const pluralIds: number[] = [];
    const fuzzyIds: number[] = [];
    const phoneticIds: number[] = [];
    const seen = new Set<number>();

    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b <= n && b - a <= maxUnits; b++) {
        const ua = starts[a];
        const ub = starts[b];
        const L = ub - ua;
        if (L > maxLen) break;
        if (L < 3) continue;
        exactIds.length = 0;
        pluralIds.length = 0;
        fuzzyIds.length = 0;
        phoneticIds.length = 0;
        table.collect(tagHash(ph.range(ua, ub), TAG_EXACT, L), exactIds);
        if (glued.charCodeAt(ub - 1) === 115 /* s */ && L > 3)
          table.collect(tagHash(ph.range(ua, ub - 1), TAG_EXACT, L - 1), pluralIds);
        // A hyphenated or glued compound is one token: "Sider-Man" is no word even though "sider" and "man" are.
        const fuzzyWorthy =
          unusual[b] - unusual[a] > 0 ||
          (b - a > 1 && joined[b] - joined[a + 1] === 0 && !isKnownWord(glued.slice(ua, ub)));
        let codeHash = -1;
        if (fuzzyWorthy && L >= MIN_FUZZY_KEY - 1) {
          for (const id of exactIds) fuzzyIds.push(id);
          for (let k = ua; k < ub; k++) {
            if (k > ua && glued.charCodeAt(k) === glued.charCodeAt(k - 1)) continue;
            table.collect(tagHash(ph.rangeWithout(ua, ub, k), TAG_EXACT, L - 1), fuzzyIds);
          }
          if (L >= MIN_FUZZY_KEY) {
            const code = phoneticCode(glued, ua, ub);
            if (code.length >= MIN_PHONETIC_CODE + (b - a > 1 ? 1 : 0)) {
              codeHash = code.hash;
              table.collect(tagHash(code.hash, TAG_PHONETIC, code.length), phoneticIds);
            }
          }
        }
        if (!exactIds.length && !pluralIds.length && !fuzzyIds.length && !phoneticIds.length) continue;
        const win = glued.slice(ua, ub);
        seen.clear();
        const emit = (id: number, dist: number, phonetic: boolean, plural: boolean): void => {
          seen.add(id);
          const cand = this.makeCandidate(prompt, units, a, b, keys[id], dist, phonetic, plural, null);
          if (cand) out.push(cand);
        };
        for (const id of exactIds) {
          const k = keys[id];
          if (k && k.alive && !seen.has(id) && k.key === win) emit(id, 0, false, false);
        }
        for (const id of pluralIds) {
          const k = keys[id];
          if (k && k.alive && !seen.has(id) && k.key.length === L - 1 && win.startsWith(k.key))
            emit(id, 0, false, true);
        }
        for (const id of fuzzyIds) {
          const k = keys[id];
          if (!k || !k.alive || seen.has(id)) continue;
          const max = allowedEdits(k.key.length);
          if (max === 0) continue;
          const d = boundedDistance(win, k.key, max);
          if (d <= max) emit(id, d, false, false);
        }
        for (const id of phoneticIds) {
          const k = keys[id];
          if (!k || !k.alive || seen.has(id) || k.phonHash !== codeHash) continue;
          if (
            Math.abs(L - k.key.length) > 3 ||
            k.key.length < MIN_FUZZY_KEY ||
            win.charCodeAt(0) !== k.key.charCodeAt(0)
          )
            continue;
          const max = Math.max(1, Math.floor(0.3 * Math.max(L, k.key.length)));
          const d = boundedDistance(win, k.key, max);
          if (d <= max) emit(id, d, true, false);
        }
      }
    }

    const reach = new Int8Array(MAX_GLUED_UNIT + 1);
    const back = new Int32Array(MAX_GLUED_UNIT + 1);
    const nameAt = new Int32Array(MAX_GLUED_UNIT + 1);
    // Names glued to other words inside one unit ("batmanvssuperman", "thebatman"): the unit must
    // split entirely into registered names and ordinary words, so a name merely hidden inside a
    // longer unknown word ("marvelous", made-up words) does not count.
    for (let u = 0; u < n; u++) {
      const unit = units[u];
      const L = unit.key.length;
      if (L < GLUED_MIN + 2 || L > MAX_GLUED_UNIT || unit.common) continue;
      const base = starts[u];
      // reach[i]: the prefix [0, i) splits into names and words; nameAt[i]: key id of a name ending at i on that path.
      reach.fill(0, 0, L + 1);
      back.fill(-1, 0, L + 1);
      nameAt.fill(-1, 0, L + 1);
      reach[0] = 1;
      const plain = unit.plain;
      for (let i = 0; i < L; i++) {
        if (!reach[i]) continue;
        // Rolling hash of plain[i, j): a slice is made only when it may be a glue word.
        let wordHash = plain.charCodeAt(i);
        for (let j = i + 2; j <= L && j - i <= this.maxKeyLen; j++) {
          wordHash = (Math.imul(wordHash, HASH_BASE) + plain.charCodeAt(j - 1)) | 0;
          if (reach[j] && nameAt[j] >= 0) continue;
          let name = -1;
          if (j - i >= GLUED_MIN) {
            exactIds.length = 0;
            table.collect(tagHash(ph.range(base + i, base + j), TAG_EXACT, j - i), exactIds);
            for (const id of exactIds) {
              const k = keys[id];
              if (k && k.alive && k.key === glued.slice(base + i, base + j)) name = id;
            }
          }
          if (name >= 0 || (j - i <= 12 && GLUE_HASHES.has(wordHash) && isGlueWord(plain.slice(i, j)))) {
            if (!reach[j] || (name >= 0 && nameAt[j] < 0)) {
              reach[j] = 1;
              back[j] = i;
              nameAt[j] = name;
            }
          }
        }
      }
      if (!reach[L]) continue;
      for (let j = L; j > 0; j = back[j]) {
        const i = back[j];
        if (nameAt[j] >= 0 && !(i === 0 && j === L)) {
          const offs = charOffsets(unit);
          const cand = this.makeCandidate(prompt, units, u, u + 1, keys[nameAt[j]], 0, false, false, [
            offs.starts[i],
            offs.ends[j - 1],
          ]);
          if (cand) out.push(cand);
        }
      }
    }
    return out;
  }

  private makeCandidate(
    prompt: string,
    units: Unit[],
    a: number,
    b: number,
    k: KeyRec,
    dist: number,
    phonetic: boolean,
    plural: boolean,
    sub: [number, number] | null,
  ): Candidate | null {
    const win = units.slice(a, b);
    const start = sub ? sub[0] : win[0].start;
    const end = sub ? sub[1] : win[win.length - 1].end;
    const deliberate = win.some((u) => u.leet || u.confusable || u.collapsed || u.invisible);
    const internalSeps = win.slice(1).map((u) => u.sepBefore);
    let rule: MatchRule;
    if (phonetic && dist > 0) rule = 'phonetic';
    else if (dist > 0) rule = 'misspelling';
    else if (sub) rule = 'split_or_glued';
    else {
      if (!plural && surfaceForm(prompt.slice(start, end)) === k.surface)
        rule = k.aliasIndex === 0 ? 'exact' : 'alias';
      else if (win.some((u) => u.confusable)) rule = 'confusable';
      else if (win.some((u) => u.leet) && !/[0-9]/.test(k.alias)) rule = 'leetspeak';
      else if (win.some((u) => u.collapsed || u.invisible) || internalSeps.some((s) => s === 'p' || s === ''))
        rule = 'separator';
      else if (win.length !== k.unitCount) rule = 'split_or_glued';
      else if (plural) rule = 'possessive_or_plural';
      else if (win.some((u) => u.diacritic) || /\p{M}/u.test(k.alias.normalize('NFD'))) rule = 'diacritics';
      else rule = k.aliasIndex === 0 ? 'exact' : 'alias';
    }
    // A fuzzy match is only as strong as the strangeness of the text: ordinary words one letter away
    // from a name ("cat man" ~ "batman") need the same corroboration as ordinary-word names.
    // A single word counts as ordinary when the dictionary has it in lower case at all ("a hulk of a
    // man"); a phrase only when all its words are everyday words ("iron man", not "coca cola").
    const allCommon =
      win.length === 1
        ? win[0].common || isDictionaryWord(win[0].plain) || isDictionaryWord(singular(win[0].plain))
        : win.every((u) => u.common);
    // Words apart (space or sentence punctuation) read as ordinary words; hyphenated or glued do not.
    const spaced = win.length === 1 || internalSeps.every((s) => s === ' ' || s === 'p');
    const givenName = k.givenName && dist === 0 && !sub;
    const ambiguous = !deliberate && (givenName || (allCommon && !k.personName && (spaced || dist > 0)));
    return {
      key: k,
      rec: k.rec,
      from: a,
      to: b,
      start,
      end,
      dist,
      rule,
      ambiguous,
      capitalsProveNothing: givenName,
    };
  }

  private descriptionCandidates(units: Unit[], out: Candidate[]): void {
    if (this.descIndex.size === 0) return;
    const words = units.map((u) => singular(u.key));
    // Most prompts hold no anchor word of any description: skip building the position map.
    if (!words.some((w) => this.descIndex.has(w))) return;
    const positions = new Map<string, number[]>();
    words.forEach((w, i) => {
      const l = positions.get(w);
      if (l) l.push(i);
      else positions.set(w, [i]);
    });
    for (const [w, ps] of positions) {
      const descs = this.descIndex.get(w);
      if (!descs) continue;
      for (const d of descs) {
        if (!d.alive) continue;
        for (const p of ps) {
          let lo = p;
          let hi = p;
          let ok = true;
          for (const other of d.words) {
            if (other === w) continue;
            const ops = positions.get(other);
            if (!ops) {
              ok = false;
              break;
            }
            let best = ops[0];
            for (const q of ops) if (Math.abs(q - p) < Math.abs(best - p)) best = q;
            lo = Math.min(lo, best);
            hi = Math.max(hi, best);
          }
          if (!ok) break;
          let spread = 0;
          for (let i = lo; i <= hi; i++) if (!STOPWORDS.has(units[i].plain)) spread++;
          if (spread > d.words.length + 1) continue;
          out.push({
            key: null,
            rec: d.rec,
            from: lo,
            to: hi + 1,
            start: units[lo].start,
            end: units[hi].end,
            dist: 0,
            rule: 'description',
            description: d.text,
            ambiguous: false,
          });
          break;
        }
      }
    }
  }

  /** Best candidate per entry, ambiguous ones only with corroboration, fuzzy ones not over another entry's exact match. */
  private choose(cands: Candidate[], units: Unit[]): Candidate[] {
    const better = (x: Candidate, y: Candidate): boolean => {
      if (x.dist !== y.dist) return x.dist < y.dist;
      if (RULE_RANK[x.rule] !== RULE_RANK[y.rule]) return RULE_RANK[x.rule] < RULE_RANK[y.rule];
      if (x.ambiguous !== y.ambiguous) return !x.ambiguous;
      return x.end - x.start < y.end - y.start || (x.end - x.start === y.end - y.start && x.start < y.start);
    };
    const strong: Candidate[] = [];
    const weak: Candidate[] = [];
    for (const c of cands) (c.ambiguous ? weak : strong).push(c);
    const exactSpans = strong.filter((c) => c.dist === 0 && c.rule !== 'description');
    const overlapsOtherExact = (c: Candidate): boolean =>
      c.dist > 0 && exactSpans.some((x) => x.rec !== c.rec && x.start < c.end && c.start < x.end);

    const best = new Map<EntryRec, Candidate>();
    const offer = (c: Candidate): void => {
      if (overlapsOtherExact(c)) return;
      const cur = best.get(c.rec);
      if (!cur || better(c, cur)) best.set(c.rec, c);
    };
    for (const c of strong) offer(c);
    const anchors = [...best.values()];
    const capRatio = capitalRatio(units);
    for (const c of weak) {
      if (best.has(c.rec) && !better(c, best.get(c.rec)!)) continue;
      if (this.corroborated(c, units, anchors, capRatio)) offer(c);
    }
    return [...best.values()].sort((x, y) => x.start - y.start);
  }

  private corroborated(c: Candidate, units: Unit[], anchors: Candidate[], capRatio: number): boolean {
    // Another of the same rightsholder's entries named nearby ("Elsa ... Frozen").
    if (
      anchors.some(
        (x) =>
          x.rec.entry.ownerId === c.rec.entry.ownerId &&
          x.from < c.to + CONTEXT_RADIUS &&
          c.from < x.to + CONTEXT_RADIUS,
      )
    )
      return true;
    const win = units.slice(c.from, c.to);
    if (c.dist === 0 && capRatio <= 0.5 && !c.capitalsProveNothing && properNoun(win)) return true;
    const own = c.key ? c.key.unitKeys : new Set<string>();
    const kindWords = KIND_WORDS[c.rec.entry.kind];
    for (
      let i = Math.max(0, c.from - CONTEXT_RADIUS);
      i < Math.min(units.length, c.to + CONTEXT_RADIUS);
      i++
    ) {
      if (i >= c.from && i < c.to) continue;
      const w = singular(units[i].key);
      if (own.has(w)) continue;
      if (c.rec.context.has(w)) return true;
      const near = i < c.from ? c.from - i : i - c.to + 1;
      if (near <= KIND_RADIUS && kindWords.has(w)) return true;
    }
    return false;
  }

  private toMatch(prompt: string, c: Candidate, opts: MatchOptions): TextMatch {
    const e = c.rec.entry;
    const allowedByLicence =
      e.policy === 'licensed_only' &&
      opts.requesterId !== undefined &&
      e.licensees.includes(opts.requesterId);
    const text = prompt.slice(c.start, c.end);
    return {
      entryId: e.id,
      canonicalName: e.canonicalName,
      kind: e.kind,
      ownerName: e.ownerName,
      rule: c.rule,
      span: { start: c.start, end: c.end, text },
      message: matchMessage(e, c.rule, text, allowedByLicence, c.description),
      allowedByLicence,
    };
  }
}

const SHORT_GLUE = new Set([
  'vs',
  'and',
  'the',
  'of',
  'in',
  'on',
  'at',
  'to',
  'my',
  'an',
  'with',
  'meets',
  'x',
]);
const SUFFIXES = new Set([
  'ing',
  'ings',
  'ed',
  'er',
  'ers',
  'est',
  'ish',
  'ism',
  'ist',
  'ity',
  'ies',
  'ion',
  'ions',
  'ment',
  'ness',
  'able',
  'ful',
  'less',
  'like',
  'ly',
  'ous',
  'y',
]);

const HASH_BASE = 0x01000193; // rawHash's base, so GLUE_HASHES meet the rolling hash above
const GLUE_HASHES: ReadonlySet<number> = new Set(
  [...SHORT_GLUE, ...COMMON_WORDS, ...STOPWORDS].filter(isGlueWord).map(rawHash),
);

/** A word that may sit glued beside a name ("thebatman", "batmanvssuperman"); suffixes may not ("shreking"). */
function isGlueWord(w: string): boolean {
  if (SHORT_GLUE.has(w)) return true;
  return w.length >= 3 && !SUFFIXES.has(w) && isCommonWord(w);
}

/**
 * Written as a proper noun: a capitalised name mid-sentence ("a photo of Flash"), or a title-cased
 * phrase anywhere ("Man of Steel"), or a split name whose first part is capitalised mid-sentence
 * ("where Super man reads"). Function words inside titles may stay lower-case.
 */
function properNoun(win: Unit[]): boolean {
  // At a sentence start capitals are uninformative: fall back on how speech mostly writes the word
  // ("Hulk dancing" is the character, "Frozen peas" the adjective).
  if (win.length === 1) return win[0].capital && (!win[0].sentenceStart || isNameDominant(win[0].plain));
  const words = win.filter((u, i) => i === 0 || !STOPWORDS.has(u.plain));
  if (words.every((u) => u.capital)) return true;
  return win[0].capital && !win[0].sentenceStart;
}

/** Share of capitalised words among those not starting a sentence: high in titles and shouting, where capitals prove nothing. */
function capitalRatio(units: Unit[]): number {
  let caps = 0;
  let total = 0;
  for (const u of units) {
    if (u.sentenceStart || !/\p{L}/u.test(u.plain)) continue;
    total++;
    if (u.capital) caps++;
  }
  return total === 0 ? 1 : caps / total;
}

export type { TextIndexImpl };

export function buildTextIndex(entries: ProtectedEntry[]): TextIndex & { memoryBytes(): number } {
  return new TextIndexImpl(entries);
}
