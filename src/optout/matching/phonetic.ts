/**
 * A sound-alike key in the spirit of (Double) Metaphone, written here because the npm package is
 * ESM-only. It reduces an English-ish spelling to consonant sounds: "Spyderr Mahn" and "Spider-Man"
 * both give SPTRMN, "Mikkee Mowse" and "Mickey Mouse" give MKMS. Input is a loose key (lower-case
 * a-z after leet folding; l/1 are folded to i there, so i before a consonant is read as L).
 */
const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);

export function phoneticKey(word: string): string {
  const w = word.replace(/[^a-z]/g, '');
  if (!w) return '';
  let out = '';
  const push = (code: string): void => {
    if (out.length === 0 || out[out.length - 1] !== code) out += code;
  };
  const at = (i: number): string => w[i] ?? '';
  let i = 0;
  // Silent initial pairs.
  if (/^(kn|gn|pn|wr|ps)/.test(w)) i = 1;
  if (w[0] === 'x') {
    push('S');
    i = 1;
  }
  if (VOWELS.has(w[i] ?? '') && w[i] !== 'y') {
    push('A');
    i++;
  }
  for (; i < w.length; i++) {
    const c = w[i];
    const n = at(i + 1);
    const p = at(i - 1);
    if (c === p && c !== 'c') continue;
    switch (c) {
      case 'a':
      case 'e':
      case 'o':
      case 'u':
        out += out.endsWith('.') ? '' : '.';
        break;
      case 'i':
        // l and 1 fold to i in loose keys; an i between vowels or next to a consonant cluster often was an l.
        if (VOWELS.has(n) && VOWELS.has(p)) push('L');
        else out += out.endsWith('.') ? '' : '.';
        break;
      case 'y':
        if (VOWELS.has(n) && i === 0) push('Y');
        else out += out.endsWith('.') ? '' : '.';
        break;
      case 'b':
        if (!(p === 'm' && i === w.length - 1)) push('P');
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
        } else if (n === 'n' && i === w.length - 2) break;
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
        else out += out.endsWith('.') ? '' : '.';
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
  // Vowel markers only served to keep repeated consonants across vowels distinct ("mama").
  return out.replace(/\./g, '');
}
