/**
 * A sound-alike key in the spirit of (Double) Metaphone, written here because the npm package is
 * ESM-only. It reduces an English-ish spelling to consonant sounds: "Spyderr Mahn" and "Spider-Man"
 * both give SPTRMN, "Mikkee Mowse" and "Mickey Mouse" give MKMS. Input is a loose key (lower-case
 * a-z after leet folding; l/1 are folded to i there, so i before a consonant is read as L).
 */
const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);

// Scan state, reused across calls (the matcher computes a key for every fuzzy window of every prompt;
// building strings there is most of its garbage).
let OUT = new Uint8Array(64);
let outLen = 0;
// The previous code, or '.' after a vowel: keeps repeated consonants across vowels distinct ("mama" gives MM, "mm" gives M).
let last = '';
let src = '';
let base = 0;
let len = 0;

function push(code: string): void {
  if (last !== code) {
    if (outLen === OUT.length) {
      const grown = new Uint8Array(OUT.length * 2);
      grown.set(OUT);
      OUT = grown;
    }
    OUT[outLen++] = code.charCodeAt(0);
  }
  last = code;
}

function vowel(): void {
  last = '.';
}

function at(i: number): string {
  return i >= 0 && i < len ? src[base + i] : '';
}

/** Scans s[from, to) (lower-case a-z only) into OUT[0, outLen). */
function scan(s: string, from: number, to: number): void {
  src = s;
  base = from;
  len = to - from;
  outLen = 0;
  last = '';
  let i = 0;
  // Silent initial pairs.
  const w0 = at(0);
  const w1 = at(1);
  if (
    (w1 === 'n' && (w0 === 'k' || w0 === 'g' || w0 === 'p')) ||
    (w0 === 'w' && w1 === 'r') ||
    (w0 === 'p' && w1 === 's')
  )
    i = 1;
  if (w0 === 'x') {
    push('S');
    i = 1;
  }
  if (VOWELS.has(at(i)) && at(i) !== 'y') {
    push('A');
    i++;
  }
  for (; i < len; i++) {
    const c = at(i);
    const n = at(i + 1);
    const p = at(i - 1);
    if (c === p && c !== 'c') continue;
    switch (c) {
      case 'a':
      case 'e':
      case 'o':
      case 'u':
        vowel();
        break;
      case 'i':
        // l and 1 fold to i in loose keys; an i between vowels or next to a consonant cluster often was an l.
        if (VOWELS.has(n) && VOWELS.has(p)) push('L');
        else vowel();
        break;
      case 'y':
        if (VOWELS.has(n) && i === 0) push('Y');
        else vowel();
        break;
      case 'b':
        if (!(p === 'm' && i === len - 1)) push('P');
        break;
      case 'p':
        push(n === 'h' ? 'F' : 'P');
        if (n === 'h') i++;
        break;
      case 'c':
        if (n === 'h') {
          push('X');
          i++;
        } else if (n === 'i' || n === 'e' || n === 'y') push('S');
        else if (n === 'k' || n === 'q') {
          push('K');
          i++;
        } else push('K');
        break;
      case 'd':
        if (n === 'g' && 'eiy'.includes(at(i + 2))) {
          push('J');
          i++;
        } else push('T');
        break;
      case 't':
        if (n === 'h') {
          push('0');
          i++;
        } else if (n === 'i' && (at(i + 2) === 'o' || at(i + 2) === 'a')) push('X');
        else push('T');
        break;
      case 'g':
        if (n === 'h') {
          if (!VOWELS.has(at(i + 2)) && i > 0) {
            i++;
            break;
          }
          push('K');
          i++;
        } else if (n === 'n' && i === len - 2) break;
        else if ('eiy'.includes(n)) push('J');
        else push('K');
        break;
      case 'h':
        if (VOWELS.has(n) && (p === '' || !'csptg'.includes(p))) push('H');
        break;
      case 'k':
        if (p !== 'c') push('K');
        break;
      case 'q':
        push('K');
        if (n === 'u') {
          push('W');
          i++;
        }
        break;
      case 's':
        if (n === 'c' && at(i + 2) === 'h') {
          push('X');
          i += 2;
        } else if (n === 'h') {
          push('X');
          i++;
        } else if (n === 'i' && (at(i + 2) === 'o' || at(i + 2) === 'a')) push('X');
        else push('S');
        break;
      case 'z':
        push('S');
        break;
      case 'x':
        push('K');
        push('S');
        break;
      case 'v':
        push('F');
        break;
      case 'f':
        push('F');
        break;
      case 'w':
        if (VOWELS.has(n)) push('W');
        else vowel();
        break;
      case 'j':
        push('J');
        break;
      case 'l':
        push('L');
        break;
      case 'm':
        push('M');
        break;
      case 'n':
        push('N');
        break;
      case 'r':
        push('R');
        break;
      default:
        break;
    }
  }
}

function onlyLetters(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 97 || c > 122) return false;
  }
  return true;
}

function scanLetters(s: string, from: number, to: number): void {
  if (onlyLetters(s, from, to)) scan(s, from, to);
  else {
    const w = s.slice(from, to).replace(/[^a-z]/g, '');
    scan(w, 0, w.length);
  }
}

export function phoneticKey(word: string): string {
  scanLetters(word, 0, word.length);
  let out = '';
  for (let i = 0; i < outLen; i++) out += String.fromCharCode(OUT[i]);
  return out;
}

const B = 0x01000193;
const CODE = { hash: 0, length: 0 };

/**
 * rawHash(phoneticKey(s.slice(from, to))) and that key's length, without building either string.
 * The returned object is reused by the next call.
 */
export function phoneticCode(s: string, from: number, to: number): { hash: number; length: number } {
  scanLetters(s, from, to);
  let h = 0;
  for (let i = 0; i < outLen; i++) h = (Math.imul(h, B) + OUT[i]) | 0;
  CODE.hash = h;
  CODE.length = outLen;
  return CODE;
}
