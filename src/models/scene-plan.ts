import { mixSeed, mulberry32, pick } from './prng';

/**
 * Turns a prompt and a seed into the plan of a text-free animated scene and its soundtrack.
 * Words that name a mood or a setting steer the palette, motion and music; the seeded PRNG fills
 * in the rest, so the same prompt and seed always give the same plan.
 */
export interface ShapePlan {
  kind: 'circle' | 'square' | 'triangle' | 'ring';
  color: string;
  /** Fraction of the frame's short side. */
  size: number;
  /** Orbit centre (fractions of width/height), radii (fractions) and period (s). */
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  periodSec: number;
  phase: number;
  opacity: number;
}

export interface MusicPlan {
  rootHz: number;
  /** Semitone offsets of the chord tones above the root. */
  chord: number[];
  /** Semitone offsets of the melody notes, one per beat, looping. */
  melody: number[];
  beatSec: number;
  /** Decay rate of each note's envelope (1/s). */
  decay: number;
}

export interface ScenePlan {
  palette: [string, string, string];
  gradientAngleDeg: number;
  shapes: ShapePlan[];
  /** Background pan period (s). */
  panPeriodSec: number;
  /** Cameo face orbits, same meaning as for shapes. */
  faceMotion: { cx: number; cy: number; rx: number; ry: number; periodSec: number; phase: number }[];
  music: MusicPlan;
}

const PALETTES: Record<string, [string, string, string][]> = {
  warm: [
    ['#ff7e5f', '#feb47b', '#6a3093'],
    ['#f83600', '#f9d423', '#4a1942'],
  ],
  cool: [
    ['#2193b0', '#6dd5ed', '#0f2027'],
    ['#1e3c72', '#2a5298', '#a1c4fd'],
  ],
  green: [
    ['#134e5e', '#71b280', '#d4fc79'],
    ['#0b486b', '#56ab2f', '#a8e063'],
  ],
  dark: [
    ['#0f0c29', '#302b63', '#24243e'],
    ['#232526', '#414345', '#8e44ad'],
  ],
  bright: [
    ['#fc466b', '#3f5efb', '#fdfc47'],
    ['#f7971e', '#ffd200', '#12c2e9'],
  ],
};

const THEME_WORDS: Record<string, string[]> = {
  warm: ['sunset', 'sun', 'desert', 'fire', 'warm', 'autumn', 'beach', 'summer', 'golden'],
  cool: ['ocean', 'sea', 'water', 'rain', 'ice', 'snow', 'winter', 'sky', 'blue', 'river'],
  green: ['forest', 'tree', 'garden', 'park', 'jungle', 'spring', 'meadow', 'green', 'field'],
  dark: ['night', 'space', 'dark', 'moon', 'star', 'stars', 'cave', 'midnight', 'storm'],
  bright: ['party', 'dance', 'festival', 'neon', 'city', 'concert', 'celebration', 'carnival'],
};

const FAST = ['fast', 'race', 'running', 'run', 'dance', 'party', 'chase', 'energetic', 'storm', 'jump'];
const SLOW = ['slow', 'calm', 'peaceful', 'quiet', 'relax', 'sleep', 'gentle', 'serene', 'meditation'];
const SAD = ['sad', 'rain', 'lonely', 'grey', 'gray', 'night', 'melancholy', 'storm', 'winter'];

export function promptWords(prompt: string): string[] {
  return prompt
    .toLowerCase()
    .replace(/@[a-z0-9_.-]+/g, ' ')
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function theme(words: string[], rnd: () => number): string {
  let best = '';
  let bestScore = 0;
  for (const [t, ws] of Object.entries(THEME_WORDS)) {
    const s = words.filter((w) => ws.includes(w)).length;
    if (s > bestScore) [best, bestScore] = [t, s];
  }
  return best || pick(rnd, Object.keys(PALETTES));
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

export function planScene(prompt: string, seed: number, faces: number): ScenePlan {
  const rnd = mulberry32(mixSeed(seed, prompt));
  const words = promptWords(prompt);
  const has = (list: string[]) => words.some((w) => list.includes(w));
  const speed = has(FAST) ? 2 : has(SLOW) ? 0.5 : 1;
  const palette = pick(rnd, PALETTES[theme(words, rnd)]!);
  const kinds: ShapePlan['kind'][] = ['circle', 'square', 'triangle', 'ring'];
  const shapeCount = 3 + Math.floor(rnd() * 3) + Math.min(3, Math.floor(words.length / 4));
  const shapes: ShapePlan[] = [];
  for (let i = 0; i < shapeCount; i++) {
    shapes.push({
      kind: pick(rnd, kinds),
      color: pick(rnd, palette),
      size: round(0.06 + rnd() * 0.16),
      cx: round(0.15 + rnd() * 0.7),
      cy: round(0.15 + rnd() * 0.7),
      rx: round(0.05 + rnd() * 0.25),
      ry: round(0.05 + rnd() * 0.25),
      periodSec: round((3 + rnd() * 6) / speed, 2),
      phase: round(rnd() * Math.PI * 2),
      opacity: round(0.45 + rnd() * 0.45, 2),
    });
  }
  const faceMotion = [];
  for (let i = 0; i < faces; i++) {
    // Faces share the width evenly and drift gently, so each stays whole and recognisable.
    faceMotion.push({
      cx: round((i + 0.5) / faces),
      cy: round(0.5 + (rnd() - 0.5) * 0.1),
      rx: round(0.04 + rnd() * 0.04),
      ry: round(0.03 + rnd() * 0.04),
      periodSec: round((5 + rnd() * 4) / speed, 2),
      phase: round(rnd() * Math.PI * 2),
    });
  }
  const minor = has(SAD);
  const roots = [196, 220, 246.94, 261.63, 293.66, 329.63];
  const scale = minor ? [0, 2, 3, 5, 7, 8, 10, 12] : [0, 2, 4, 5, 7, 9, 11, 12];
  const melody = Array.from({ length: 8 }, () => pick(rnd, scale));
  return {
    palette,
    gradientAngleDeg: Math.floor(rnd() * 360),
    shapes,
    panPeriodSec: round((8 + rnd() * 8) / speed, 2),
    faceMotion,
    music: {
      rootHz: pick(rnd, roots),
      chord: minor ? [0, 3, 7] : [0, 4, 7],
      melody,
      beatSec: round((0.35 + rnd() * 0.25) / speed, 3),
      decay: round(2 + rnd() * 3, 2),
    },
  };
}
