/**
 * Text normalisation for matching. Every normalised character keeps the offsets of the original
 * code point(s) it came from, so a match found in normalised space reports its span in the caller's
 * string. Steps per code point: drop invisible characters, NFKC, TR39-style confusable folding,
 * diacritic stripping, lower-casing. Then tokenisation into units and a "loose key" per unit where
 * leetspeak digits/symbols become letters and l/1/| fold to i (the same fold is applied to registry
 * names, so the two sides always meet in one key space).
 */
import { CONFUSABLE_MAP } from './confusables';

/** Zero-width, joiners, bidi controls, soft hyphen, variation selectors, fillers, tag characters. */
const INVISIBLE_RANGES: Array<[number, number]> = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xe0000, 0xe007f],
  [0xe0100, 0xe01ef],
];

function isInvisible(cp: number): boolean {
  for (const [a, b] of INVISIBLE_RANGES) if (cp >= a && cp <= b) return true;
  return false;
}
const MARK = /\p{M}/u;
const MARKS = /\p{M}/gu;
const WORDISH = /[\p{L}\p{N}]/u;
const SPACE = /\s/u;

/** Digits and symbols that stand for letters in leetspeak. l, 1, | and ! all fold to i. */
const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '2': 'z',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '6': 'g',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'i',
  '+': 't',
  '€': 'e',
  '£': 'l',
  '¡': 'i',
  l: 'i',
};
const LEET_SYMBOLS = new Set(['@', '$', '!', '|', '+', '€', '£', '¡']);

export interface NormChar {
  c: string;
  start: number;
  end: number;
  upper: boolean;
  confusable: boolean;
  diacritic: boolean;
  invisibleBefore: boolean;
}

export function normalizeChars(text: string): NormChar[] {
  const out: NormChar[] = [];
  let pendingInvisible = false;
  for (let i = 0; i < text.length;) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      // ASCII fast path: nothing to fold but case.
      const upper = code >= 65 && code <= 90;
      out.push({
        c: upper ? String.fromCharCode(code + 32) : text[i],
        start: i,
        end: i + 1,
        upper,
        confusable: false,
        diacritic: false,
        invisibleBefore: pendingInvisible,
      });
      pendingInvisible = false;
      i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const len = ch.length;
    if (isInvisible(cp)) {
      pendingInvisible = true;
      i += len;
      continue;
    }
    if (MARK.test(ch)) {
      // A combining mark (or zalgo stack) belongs to the letter before it: widen that letter's span.
      const prev = out[out.length - 1];
      if (prev && prev.end === i) {
        prev.end = i + len;
        prev.diacritic = true;
      }
      i += len;
      continue;
    }
    let s = ch.normalize('NFKC');
    // NFKC turning a non-ASCII character into ASCII letters/digits: fullwidth, math alphanumerics.
    let confusable = s !== ch && /^[A-Za-z0-9]+$/.test(s);
    let mapped = '';
    for (const c of s) {
      const m = CONFUSABLE_MAP.get(c);
      if (m !== undefined) {
        mapped += m;
        confusable = true;
      } else mapped += c;
    }
    s = mapped;
    const nfd = s.normalize('NFD');
    const stripped = nfd.replace(MARKS, '');
    const diacritic = stripped !== nfd;
    for (const c0 of stripped) {
      let lower = c0.toLowerCase();
      if (lower === 'ß') lower = 'ss';
      if (lower === 'ς') lower = 'σ';
      for (const c of lower) {
        out.push({
          c,
          start: i,
          end: i + len,
          upper: c0 !== lower && c0.toUpperCase() === c0,
          confusable,
          diacritic,
          invisibleBefore: pendingInvisible,
        });
        pendingInvisible = false;
      }
    }
    i += len;
  }
  return out;
}

/** One word-like unit of the prompt (or of a registered name). */
export interface Unit {
  /** Lower-cased letters/digits, confusables folded, diacritics gone; no leet folding. */
  plain: string;
  /** plain with leetspeak and l/1/| folded: the key space the index lives in. */
  key: string;
  start: number;
  end: number;
  /**
   * Where the unit's characters came from, for charOffsets(): the normalised characters, or for ASCII
   * text the positions of a collapsed run's letters; neither when the unit is a plain slice of the text.
   */
  chars?: NormChar[];
  charPos?: number[];
  capital: boolean;
  /** Unit came from a run of single characters ("S p i d e r", "S.p.i.d.e.r"). */
  collapsed: boolean;
  leet: boolean;
  confusable: boolean;
  diacritic: boolean;
  invisible: boolean;
  /** What separated this unit from the previous one: ' ' (space), '-' (hyphen/underscore/dash), 'p' other punctuation, '' nothing (only invisibles), '^' first. */
  sepBefore: string;
  sentenceStart: boolean;
  /** "'s" directly followed this unit and was dropped. */
  possessive: boolean;
  /** An ordinary English word (filled in by the matcher, which owns the word list). */
  common: boolean;
}

function isLetterOrDigit(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 0x80)
    return (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || (code >= 65 && code <= 90);
  return WORDISH.test(c);
}

const LEET_CODES = new Uint8Array(128);
for (const c of Object.keys(LEET))
  if (c.length === 1 && c.charCodeAt(0) < 128) LEET_CODES[c.charCodeAt(0)] = 1;

function leetKey(plain: string, foldDigits: boolean): { key: string; leet: boolean } {
  // Most words hold nothing to fold but an l: answer those without building the key char by char.
  let fold = false;
  let other = false;
  for (let i = 0; i < plain.length; i++) {
    const code = plain.charCodeAt(i);
    if (code >= 128 ? LEET[plain[i]] !== undefined : LEET_CODES[code] === 1) {
      fold = true;
      if (code !== 108 /* l */) other = true;
    }
  }
  if (!fold) return { key: plain, leet: false };
  if (!other) return { key: plain.replaceAll('l', 'i'), leet: false };
  let key = '';
  let leet = false;
  for (const c of plain) {
    const m = LEET[c];
    if (m !== undefined && (foldDigits || !/[0-9]/.test(c))) {
      key += m;
      if (c !== 'l') leet = true;
    } else key += c;
  }
  return { key, leet };
}

/** Original offsets (UTF-16, into the caller's string) of each character of u.plain / u.key. */
export function charOffsets(u: Unit): { starts: number[]; ends: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  if (!u.chars) {
    for (let i = 0; i < u.plain.length; i++) {
      const at = u.charPos ? u.charPos[i] : u.start + i;
      starts.push(at);
      ends.push(at + 1);
    }
    return { starts, ends };
  }
  for (const ch of u.chars)
    for (let k = 0; k < ch.c.length; k++) {
      starts.push(ch.start);
      ends.push(ch.end);
    }
  return { starts, ends };
}

/**
 * Splits normalised characters into units. Leet symbols count as letters only when another letter or
 * digit follows ("$pider", "p1k@chu"), so trailing punctuation ("Pikachu!") stays punctuation. Runs of
 * three or more one-character tokens ("S.p.i.d.e.r", "s p i d e r") collapse into one unit.
 */
export function tokenize(text: string): Unit[] {
  if (isAscii(text)) return tokenizeAscii(text);
  const chars = normalizeChars(text);
  type Raw = { chars: NormChar[]; sep: string; sentenceStart: boolean; possessive: boolean };
  const raws: Raw[] = [];
  let cur: NormChar[] = [];
  let sep = '^';
  let sentence = true;
  const flush = (): void => {
    if (!cur.length) return;
    raws.push({ chars: cur, sep, sentenceStart: sentence, possessive: false });
    cur = [];
    sep = '';
    sentence = false;
  };
  for (let k = 0; k < chars.length; k++) {
    const ch = chars[k];
    const c = ch.c;
    // A symbol opening a word must be followed by a letter ("$pider", not "$5").
    const next = chars[k + 1]?.c;
    const wordish =
      isLetterOrDigit(c) ||
      (LEET_SYMBOLS.has(c) && isLetterOrDigit(next) && (cur.length > 0 || /\p{L}/u.test(next!)));
    if (wordish) {
      cur.push(ch);
      continue;
    }
    if (
      (c === "'" || c === '’' || c === 'ʼ') &&
      cur.length &&
      chars[k + 1]?.c === 's' &&
      !isLetterOrDigit(chars[k + 2]?.c)
    ) {
      flush();
      raws[raws.length - 1].possessive = true;
      k += 1;
      continue;
    }
    flush();
    if (c === ' ' || SPACE.test(c)) {
      if (c === '\n') sentence = true;
      if (sep !== '^') sep = ' ';
    } else {
      if (/[.!?:;]/.test(c)) sentence = true;
      if (/[-_‐‑–—]/.test(c)) {
        if (sep !== ' ') sep = '-';
      } else if (sep !== ' ' && sep !== '-') sep = 'p';
    }
    if (raws.length === 0) sentence = true;
  }
  flush();

  const units: Unit[] = [];
  for (let r = 0; r < raws.length;) {
    let end = r;
    while (end < raws.length && raws[end].chars.length === 1) end++;
    if (end - r >= 3) {
      const group = raws.slice(r, end);
      const chs = group.flatMap((g) => g.chars);
      units.push(
        makeUnit(text, chs, group[0].sep, group[0].sentenceStart, group[group.length - 1].possessive, true),
      );
      r = end;
    } else {
      const g = raws[r];
      units.push(makeUnit(text, g.chars, g.sep, g.sentenceStart, g.possessive, false));
      r++;
    }
  }
  return units;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 128) return false;
  return true;
}

/** Lower-cased char code at i (NaN past the end). */
function lowerCode(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 65 && c <= 90 ? c + 32 : c;
}
function asciiAlnum(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}
function asciiLeetSymbol(c: number): boolean {
  return c === 64 || c === 36 || c === 33 || c === 124 || c === 43; // @ $ ! | +
}

/**
 * tokenize() for ASCII text, which has nothing to fold but case: the same units without building a
 * normalised character per input character (most prompts; the per-character objects were most of
 * the matcher's garbage).
 */
function tokenizeAscii(text: string): Unit[] {
  const from: number[] = [];
  const to: number[] = [];
  const seps: string[] = [];
  const sentences: boolean[] = [];
  const possessives: boolean[] = [];
  let curFrom = -1;
  let sep = '^';
  let sentence = true;
  const flush = (k: number): void => {
    if (curFrom < 0) return;
    from.push(curFrom);
    to.push(k);
    seps.push(sep);
    sentences.push(sentence);
    possessives.push(false);
    curFrom = -1;
    sep = '';
    sentence = false;
  };
  const n = text.length;
  for (let k = 0; k < n; k++) {
    const c = lowerCode(text, k);
    const next = lowerCode(text, k + 1);
    const wordish =
      asciiAlnum(c) ||
      (asciiLeetSymbol(c) && asciiAlnum(next) && (curFrom >= 0 || (next >= 97 && next <= 122)));
    if (wordish) {
      if (curFrom < 0) curFrom = k;
      continue;
    }
    if (c === 39 && curFrom >= 0 && next === 115 && !asciiAlnum(lowerCode(text, k + 2))) {
      flush(k);
      possessives[possessives.length - 1] = true;
      k += 1;
      continue;
    }
    flush(k);
    if (c === 32 || (c >= 9 && c <= 13)) {
      if (c === 10) sentence = true;
      if (sep !== '^') sep = ' ';
    } else {
      if (c === 46 || c === 33 || c === 63 || c === 58 || c === 59) sentence = true; // . ! ? : ;
      if (c === 45 || c === 95) {
        if (sep !== ' ') sep = '-';
      } else if (sep !== ' ' && sep !== '-') sep = 'p';
    }
    if (from.length === 0) sentence = true;
  }
  flush(n);

  const units: Unit[] = [];
  const count = from.length;
  for (let r = 0; r < count;) {
    let end = r;
    while (end < count && to[end] - from[end] === 1) end++;
    if (end - r >= 3) {
      const pos = from.slice(r, end);
      units.push(
        makeAsciiUnit(
          text,
          pos[0],
          pos[pos.length - 1] + 1,
          pos,
          seps[r],
          sentences[r],
          possessives[end - 1],
        ),
      );
      r = end;
    } else {
      units.push(makeAsciiUnit(text, from[r], to[r], undefined, seps[r], sentences[r], possessives[r]));
      r++;
    }
  }
  return units;
}

function makeAsciiUnit(
  text: string,
  start: number,
  end: number,
  charPos: number[] | undefined,
  sepBefore: string,
  sentenceStart: boolean,
  possessive: boolean,
): Unit {
  let plain: string;
  if (charPos) {
    plain = '';
    for (const p of charPos) plain += String.fromCharCode(lowerCode(text, p));
  } else plain = text.slice(start, end).toLowerCase();
  let hasLetter = false;
  for (let i = 0; i < plain.length && !hasLetter; i++) {
    const code = plain.charCodeAt(i);
    hasLetter = code >= 97 && code <= 122;
  }
  const { key, leet } = leetKey(plain, hasLetter || charPos !== undefined);
  const first = text.charCodeAt(start);
  return {
    plain,
    key,
    start,
    end,
    charPos,
    capital: first >= 65 && first <= 90,
    collapsed: charPos !== undefined,
    leet,
    confusable: false,
    diacritic: false,
    invisible: false,
    sepBefore,
    sentenceStart,
    possessive,
    common: false,
  };
}

function makeUnit(
  source: string,
  chs: NormChar[],
  sepBefore: string,
  sentenceStart: boolean,
  possessive: boolean,
  collapsed: boolean,
): Unit {
  let hasLetter = false;
  let confusable = false;
  let diacritic = false;
  let invisible = false;
  // plain in one allocation: chars joined, or (the usual case) one lower-cased slice of the prompt.
  let simple = true;
  for (let i = 0; i < chs.length; i++) {
    const ch = chs[i];
    if (
      ch.end !== ch.start + 1 ||
      source.charCodeAt(ch.start) >= 128 ||
      (i > 0 && ch.start !== chs[i - 1].end)
    ) {
      simple = false;
      break;
    }
  }
  const plain = simple
    ? source.slice(chs[0].start, chs[chs.length - 1].end).toLowerCase()
    : chs.map((ch) => ch.c).join('');
  for (let i = 0; i < chs.length; i++) {
    const ch = chs[i];
    if (!hasLetter) {
      const code = ch.c.charCodeAt(0);
      hasLetter = code < 0x80 ? code >= 97 && code <= 122 : /\p{L}/u.test(ch.c);
    }
    if (ch.confusable) confusable = true;
    if (ch.diacritic) diacritic = true;
    if (i > 0 && ch.invisibleBefore) invisible = true;
  }
  const { key, leet } = leetKey(plain, hasLetter || collapsed);
  return {
    plain,
    key,
    start: chs[0].start,
    end: chs[chs.length - 1].end,
    chars: chs,
    capital: chs[0].upper,
    collapsed,
    leet,
    confusable,
    diacritic,
    invisible,
    sepBefore,
    sentenceStart,
    possessive,
    common: false,
  };
}

/** The loose key of a registered name: units glued, so "Spider-Man", "Spider Man" and "Spiderman" meet. */
export function nameKey(name: string): { key: string; units: Unit[] } {
  const units = tokenize(name);
  return { key: units.map((u) => u.key).join(''), units };
}

/** Case- and separator-insensitive surface form (no NFKC: fullwidth is an evasion), used to tell exact mentions from evasions. */
export function surfaceForm(s: string): string {
  return s
    .normalize('NFC')
    .toLowerCase()
    .replace(/['’ʼ]s\b/g, '')
    .replace(/[\s\-_‐‑–—]+/g, ' ')
    .trim();
}

/** Light plural stripping for description words and plural mentions. */
export function singular(w: string): string {
  if (w.length > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
  if (w.length > 4 && /(ches|shes|sses|xes|zes)$/.test(w)) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is'))
    return w.slice(0, -1);
  return w;
}
