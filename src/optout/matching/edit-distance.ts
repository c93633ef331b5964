/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transposition), abandoned as soon as
 * every cell of a row exceeds `max`; returns max + 1 then. Registry keys are short, so this is cheap.
 */
// Three rows reused across calls: the matcher verifies many candidates per prompt.
let ROWS = new Int32Array(3 * 64);

export function boundedDistance(a: string, b: string, max: number): number {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  if (a === b) return 0;
  const w = lb + 1;
  if (ROWS.length < 3 * w) ROWS = new Int32Array(3 * w * 2);
  const rows = ROWS;
  let prev2 = 0;
  let prev = w;
  let cur = 2 * w;
  for (let j = 0; j <= lb; j++) {
    rows[prev + j] = j;
    rows[prev2 + j] = 0;
  }
  for (let i = 1; i <= la; i++) {
    rows[cur] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = Math.min(rows[prev + j] + 1, rows[cur + j - 1] + 1, rows[prev + j - 1] + (ai === bj ? 0 : 1));
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj)
        v = Math.min(v, rows[prev2 + j - 2] + 1);
      rows[cur + j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return rows[prev + lb];
}

/** Edits tolerated for a name of this many letters: none up to 4, one up to 8, two beyond. */
export function allowedEdits(len: number): number {
  if (len <= 4) return 0;
  if (len <= 8) return 1;
  return 2;
}
