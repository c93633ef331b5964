/**
 * Opt-out matching bench: precision/recall on the labelled evaluation set, text index speed and
 * memory at 100,000 entries x 5 aliases, image hash robustness on the shared fixtures, and image
 * nearest-match speed against 100,000 reference hashes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import sharp from 'sharp';
import {
  buildTextIndex,
  hamming,
  imageHash,
  ImageHashIndex,
  validateEntry,
  type ProtectedEntry,
} from '../src/optout/matching';
import { fixture } from '../tests/helpers/fixtures';

type EvalItem = { prompt: string; expect: string[]; category: string };

function pct(x: number): string {
  return Number.isFinite(x) ? (100 * x).toFixed(1) + '%' : '-';
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function gc(): void {
  v8.setFlagsFromString('--expose-gc');
  const g = vm.runInNewContext('gc') as () => void;
  g();
  g();
}

/** Deterministic PRNG so every run benches the same registry. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function loadRegistry(): ProtectedEntry[] {
  const raw = JSON.parse(
    fs.readFileSync(path.join(__dirname, 'data/optout-registry.json'), 'utf8'),
  ) as Array<{ id: string }>;
  return raw.map((r) => ({ ...validateEntry(r), id: r.id }) as ProtectedEntry);
}

/** Precision and recall of one labelled file in bench/data against the bench registry. */
export function evaluate(file = 'optout-eval.json', title = 'Evaluation set'): void {
  const items = JSON.parse(fs.readFileSync(path.join(__dirname, 'data', file), 'utf8')) as EvalItem[];
  const index = buildTextIndex(loadRegistry());
  type Acc = { tp: number; fp: number; fn: number; prompts: number; wrongPrompts: number };
  const per = new Map<string, Acc>();
  const total: Acc = { tp: 0, fp: 0, fn: 0, prompts: 0, wrongPrompts: 0 };
  const errors: string[] = [];
  for (const it of items) {
    const got = new Set(index.match(it.prompt).map((m) => m.entryId));
    const want = new Set(it.expect);
    const tp = [...got].filter((g) => want.has(g)).length;
    const fp = got.size - tp;
    const fn = [...want].filter((w) => !got.has(w)).length;
    const acc = per.get(it.category) ?? { tp: 0, fp: 0, fn: 0, prompts: 0, wrongPrompts: 0 };
    per.set(it.category, acc);
    for (const a of [acc, total]) {
      a.tp += tp;
      a.fp += fp;
      a.fn += fn;
      a.prompts++;
      if (fp || fn) a.wrongPrompts++;
    }
    if (fp || fn)
      errors.push(
        `  [${it.category}] ${JSON.stringify(it.prompt)} expected [${it.expect.join(', ')}] got [${[...got].join(', ')}]`,
      );
  }
  console.log(
    `\n### ${title} (${file}): ${items.length} prompts, ${loadRegistry().length} registry entries\n`,
  );
  console.log('| category | prompts | precision | recall | wrong prompts |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const row = (name: string, a: Acc): void =>
    console.log(
      `| ${name} | ${a.prompts} | ${a.tp + a.fp ? pct(a.tp / (a.tp + a.fp)) : '-'} | ${a.tp + a.fn ? pct(a.tp / (a.tp + a.fn)) : '-'} | ${a.wrongPrompts} |`,
    );
  for (const [k, a] of [...per].sort()) row(k, a);
  row('**overall**', total);
  const innocent = items.filter((i) => i.expect.length === 0);
  const falseRefusals = innocent.filter((i) => index.match(i.prompt).length > 0).length;
  const positive = items.filter((i) => i.expect.length > 0);
  const missed = positive.filter((i) => index.match(i.prompt).length === 0).length;
  console.log(
    `\nfalse refusals: ${falseRefusals}/${innocent.length} innocent prompts (${pct(falseRefusals / innocent.length)}); missed: ${missed}/${positive.length} prompts that should refuse (${pct(missed / positive.length)})`,
  );
  if (errors.length) console.log(`\nmisclassified prompts:\n${errors.join('\n')}`);
}

const ONSETS = 'b c d f g h j k l m n p r s t v w z br dr gr kr pr st tr th sh ch'.split(' ');
const NUCLEI = 'a e i o u ei ou ia'.split(' ');
const CODAS = ['', '', 'n', 'r', 'l', 's', 'x', 'th'];

function syllable(r: () => number): string {
  const pick = (a: string[]): string => a[Math.floor(r() * a.length)];
  return pick(ONSETS) + pick(NUCLEI) + pick(CODAS);
}

/** A made-up word of 2-3 syllables; the space is large enough that 500,000 names stay sparse in it. */
function madeUpWord(r: () => number, syllables = 2 + Math.floor(r() * 2)): string {
  let w = '';
  for (let i = 0; i < syllables; i++) w += syllable(r);
  return w;
}

function syntheticName(r: () => number): string {
  const word = (): string => {
    const w = madeUpWord(r);
    return w[0].toUpperCase() + w.slice(1);
  };
  return r() < 0.5 ? word() : `${word()} ${word()}`;
}

export function syntheticRegistry(n: number): ProtectedEntry[] {
  const r = rng(42);
  const kinds = ['character', 'real_person', 'work', 'brand'] as const;
  const vocab = Array.from({ length: 4000 }, () => madeUpWord(r));
  const out: ProtectedEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      id: `syn-${i}`,
      ownerId: `owner-${i % 500}`,
      ownerName: `Owner ${i % 500}`,
      kind: kinds[i % 4],
      canonicalName: syntheticName(r),
      aliases: [syntheticName(r), syntheticName(r), syntheticName(r), syntheticName(r)],
      descriptions: [
        `${vocab[Math.floor(r() * vocab.length)]} ${vocab[Math.floor(r() * vocab.length)]} ${vocab[Math.floor(r() * vocab.length)]}`,
      ],
      policy: 'block',
      licensees: [],
    });
  }
  return out;
}

const PROMPT_WORDS =
  'a the cinematic shot of slowly walking through rainy city street at night with neon lights reflecting on wet pavement while camera pans left toward an old man feeding pigeons near fountain golden hour soft light children laughing in background dog running across park bench coffee cup steam rising from window sill mountains distant fog rolling over valley train passing bridge river sparkling'.split(
    ' ',
  );

/** Rare words built from other sounds than the registry's names (foreign words, slang, jargon). */
const RARE_PARTS = 'qu ox yl ek ap um iz of eb uk ag ny sq wy'.split(' ');
function rareWord(r: () => number): string {
  let w = '';
  const n = 3 + Math.floor(r() * 2);
  for (let i = 0; i < n; i++) w += RARE_PARTS[Math.floor(r() * RARE_PARTS.length)];
  return w;
}

/**
 * A 500-character prompt of ordinary words with one word in eight unusual: either from a different
 * sound inventory than the registry ('rare'), or made up from the registry's own syllables
 * ('name-like', the worst case: every such word sits in the dense neighbourhood of 500,000 names).
 */
export function syntheticPrompt(
  r: () => number,
  entries: ProtectedEntry[],
  withName: boolean,
  unusual: 'rare' | 'name-like' = 'rare',
): string {
  let p = '';
  for (;;) {
    const w =
      r() < 0.125
        ? unusual === 'rare'
          ? rareWord(r)
          : madeUpWord(r, 3)
        : PROMPT_WORDS[Math.floor(r() * PROMPT_WORDS.length)];
    if (p.length + w.length + 1 > 500) break;
    p += w + ' ';
  }
  p = p.padEnd(500, '.');
  if (withName) {
    const e = entries[Math.floor(r() * entries.length)];
    const at = Math.floor(r() * 400);
    const cut = Math.max(0, p.lastIndexOf(' ', at));
    p = `${p.slice(0, cut)} ${e.aliases[0]} ${p.slice(cut)}`.replace(/ +/g, ' ').trim().slice(0, 500);
  }
  return p;
}

export function benchTextScale(): void {
  const N = 100_000;
  const entries = syntheticRegistry(N);
  gc();
  const heap0 = process.memoryUsage();
  let t = performance.now();
  const buildCpu0 = process.cpuUsage();
  const index = buildTextIndex(entries);
  const buildMs = performance.now() - t;
  const buildCpu = process.cpuUsage(buildCpu0);
  gc();
  const heap1 = process.memoryUsage();
  const r = rng(7);
  const prompts = Array.from({ length: 3000 }, (_, i) =>
    syntheticPrompt(r, entries, i % 3 === 0, i % 2 === 0 ? 'rare' : 'name-like'),
  );
  for (let i = 0; i < 300; i++) index.match(prompts[i]); // warm-up
  // Wall time suffers from other processes on a shared machine; CPU time of this thread does not.
  const times: number[] = [];
  const cpu: number[] = [];
  let hits = 0;
  let expectedHits = 0;
  prompts.forEach((p, i) => {
    const c0 = process.cpuUsage();
    const s = performance.now();
    const m = index.match(p);
    times.push(performance.now() - s);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    if (i % 3 === 0) {
      expectedHits++;
      if (m.length > 0) hits++;
    }
  });
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const clean = (kind: number): string => {
    const ps = prompts.filter((_, i) => i % 3 !== 0 && i % 2 === kind);
    return `${ps.filter((p) => index.match(p).length > 0).length}/${ps.length}`;
  };

  const extra = syntheticRegistry(N + 1000).slice(N);
  t = performance.now();
  for (const e of extra) index.upsert(e);
  const upsertMs = (performance.now() - t) / extra.length;
  const newHit = index
    .match(`a video of ${extra[17].aliases[2]} at the beach`)
    .some((m) => m.entryId === extra[17].id);
  t = performance.now();
  for (const e of extra) index.remove(e.id);
  const removeMs = (performance.now() - t) / extra.length;
  t = performance.now();
  index.rebuild();
  const rebuildMs = performance.now() - t;

  console.log(
    `\n### Text index at scale: ${N.toLocaleString()} entries x 5 names (+1 description each), 500-character prompts\n`,
  );
  console.log('| measure | value |');
  console.log('| --- | ---: |');
  console.log(
    `| index build (from entries), wall / CPU | ${(buildMs / 1000).toFixed(2)} s / ${((buildCpu.user + buildCpu.system) / 1e6).toFixed(2)} s |`,
  );
  console.log(`| full rebuild (re-pack live keys) | ${(rebuildMs / 1000).toFixed(2)} s |`);
  console.log(`| upsert one entry (incremental) | ${upsertMs.toFixed(3)} ms |`);
  console.log(`| remove one entry | ${removeMs.toFixed(3)} ms |`);
  console.log(`| new entry visible to match() right after upsert | ${newHit ? 'yes' : 'NO'} |`);
  console.log(
    `| heap used by the index (JS heap + typed arrays) | ${((heap1.heapUsed - heap0.heapUsed) / 1048576).toFixed(0)} MB + ${((heap1.arrayBuffers - heap0.arrayBuffers) / 1048576).toFixed(0)} MB |`,
  );
  console.log(
    `| check p50 / p95 / p99 / max (${times.length} prompts) | ${quantile(times, 0.5).toFixed(2)} / ${quantile(times, 0.95).toFixed(2)} / ${quantile(times, 0.99).toFixed(2)} / ${times[times.length - 1].toFixed(2)} ms |`,
  );
  console.log(
    `| check CPU time p50 / p95 / p99 | ${quantile(cpu, 0.5).toFixed(2)} / ${quantile(cpu, 0.95).toFixed(2)} / ${quantile(cpu, 0.99).toFixed(2)} ms |`,
  );
  console.log(
    `| load average during the run (1 min) | ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores |`,
  );
  console.log(`| prompts with a planted name found | ${hits}/${expectedHits} |`);
  console.log(`| clean prompts refused, unusual words from another sound inventory | ${clean(0)} |`);
  console.log(
    `| clean prompts refused, unusual words made of the registry's own syllables (worst case) | ${clean(1)} |`,
  );
}

export async function benchImages(): Promise<void> {
  const files = [
    fixture('faces', 'obama-1.jpg'),
    fixture('faces', 'obama-2.jpg'),
    fixture('faces', 'biden-1.jpg'),
    fixture('faces', 'biden-2.jpg'),
    fixture('faces', 'astronaut.png'),
    fixture('media', 'chelsea.png'),
    fixture('media', 'coffee.png'),
  ].filter((f) => fs.existsSync(f));
  const originals = await Promise.all(files.map((f) => fs.promises.readFile(f)));
  const hashes = await Promise.all(originals.map((b) => imageHash(b)));
  const transforms: Array<[string, (b: Buffer) => Promise<Buffer>]> = [
    [
      'resize to 50%',
      async (b) => {
        const m = await sharp(b).metadata();
        return sharp(b)
          .resize(Math.round(m.width! / 2))
          .png()
          .toBuffer();
      },
    ],
    [
      'resize to 25%',
      async (b) => {
        const m = await sharp(b).metadata();
        return sharp(b)
          .resize(Math.round(m.width! / 4))
          .png()
          .toBuffer();
      },
    ],
    ['JPEG quality 30', (b) => sharp(b).jpeg({ quality: 30 }).toBuffer()],
    ['JPEG quality 10', (b) => sharp(b).jpeg({ quality: 10 }).toBuffer()],
    [
      'crop 5% each side',
      async (b) => {
        const m = await sharp(b).metadata();
        const dx = Math.round(m.width! * 0.05);
        const dy = Math.round(m.height! * 0.05);
        return sharp(b)
          .extract({ left: dx, top: dy, width: m.width! - 2 * dx, height: m.height! - 2 * dy })
          .png()
          .toBuffer();
      },
    ],
    [
      'crop 10% off one corner',
      async (b) => {
        const m = await sharp(b).metadata();
        const l = Math.round(m.width! * 0.1);
        const t = Math.round(m.height! * 0.1);
        return sharp(b)
          .extract({ left: l, top: t, width: m.width! - l, height: m.height! - t })
          .png()
          .toBuffer();
      },
    ],
    [
      'crop 5% off top and left',
      async (b) => {
        const m = await sharp(b).metadata();
        const l = Math.round(m.width! * 0.05);
        const t = Math.round(m.height! * 0.05);
        return sharp(b)
          .extract({ left: l, top: t, width: m.width! - l, height: m.height! - t })
          .png()
          .toBuffer();
      },
    ],
    ['hue +90, saturation x1.5', (b) => sharp(b).modulate({ hue: 90, saturation: 1.5 }).png().toBuffer()],
    ['brightness x1.2, gamma', (b) => sharp(b).modulate({ brightness: 1.2 }).gamma(2.2).png().toBuffer()],
    ['greyscale', (b) => sharp(b).greyscale().png().toBuffer()],
    ['mirrored (vs flipped hash)', (b) => sharp(b).flop().png().toBuffer()],
  ];
  console.log(`\n### Image hash robustness (${files.length} fixture images, 256-bit hash)\n`);
  console.log(
    '| transformation | mean distance to main hash | max | mean to nearest stored hash (main, flipped, crop variants) | max |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const mean = (a: number[]): string => (a.reduce((x, y) => x + y, 0) / a.length).toFixed(1);
  for (const [name, fn] of transforms) {
    const ds: number[] = [];
    const best: number[] = [];
    for (let i = 0; i < originals.length; i++) {
      const h = await imageHash(await fn(originals[i]));
      const ref = hashes[i];
      ds.push(name.startsWith('mirrored') ? hamming(h.hash, ref.flipped) : hamming(h.hash, ref.hash));
      best.push(Math.min(...[ref.hash, ref.flipped, ...ref.cropVariants].map((r) => hamming(h.hash, r))));
    }
    console.log(`| ${name} | ${mean(ds)} | ${Math.max(...ds)} | ${mean(best)} | ${Math.max(...best)} |`);
  }
  const cross: number[] = [];
  for (let i = 0; i < hashes.length; i++)
    for (let j = i + 1; j < hashes.length; j++) cross.push(hamming(hashes[i].hash, hashes[j].hash));
  cross.sort((a, b) => a - b);
  const crossBest: number[] = [];
  for (let i = 0; i < hashes.length; i++)
    for (let j = 0; j < hashes.length; j++)
      if (i !== j)
        crossBest.push(
          Math.min(
            ...[hashes[j].hash, hashes[j].flipped, ...hashes[j].cropVariants].map((r) =>
              hamming(hashes[i].hash, r),
            ),
          ),
        );
  console.log(
    `| different images (${cross.length} pairs; obama-1/2 and biden-1/2 are the same person in other photos) | ${mean(cross)} | min ${cross[0]} | ${mean(crossBest)} | min ${Math.min(...crossBest)} |`,
  );
  console.log(
    `\nquality scores: ${hashes.map((h, i) => `${path.basename(files[i])} ${h.quality}`).join(', ')}`,
  );

  // 100,000 reference hashes (random, plus the fixtures) and queries that are transformed fixtures.
  const r = rng(99);
  const index = new ImageHashIndex();
  const N = 100_000;
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    const b = Buffer.alloc(32);
    for (let k = 0; k < 32; k++) b[k] = Math.floor(r() * 256);
    index.add(`ref-${i}`, b);
  }
  hashes.forEach((h, i) => {
    for (const x of [h.hash, h.flipped, ...h.cropVariants]) index.add(`fixture-${i}`, x);
  });
  const addMs = performance.now() - t;
  const queries = await Promise.all(
    originals.map(async (b) => {
      const m = await sharp(b).metadata();
      const cropped = await sharp(b)
        .extract({
          left: 0,
          top: 0,
          width: Math.round(m.width! * 0.95),
          height: Math.round(m.height! * 0.95),
        })
        .toBuffer();
      return (await imageHash(await sharp(cropped).resize(300).jpeg({ quality: 40 }).toBuffer())).hash;
    }),
  );
  const times: number[] = [];
  const cpu: number[] = [];
  let found = 0;
  for (let rep = 0; rep < 200; rep++) {
    queries.forEach((q, i) => {
      const c0 = process.cpuUsage();
      const s = performance.now();
      const res = index.nearest(q, 40);
      times.push(performance.now() - s);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      if (rep === 0 && res.some((x) => x.id === `fixture-${i}`)) found++;
    });
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const scan: number[] = [];
  for (let rep = 0; rep < 20; rep++) {
    const s = performance.now();
    index.nearest(queries[rep % queries.length], 64);
    scan.push(performance.now() - s);
  }
  scan.sort((a, b) => a - b);
  console.log(
    `\n### Image match against ${index.size.toLocaleString()} stored hashes (${N.toLocaleString()} random references + the fixtures with flipped and crop-variant hashes)\n`,
  );
  console.log('| measure | value |');
  console.log('| --- | ---: |');
  console.log(`| add ${N.toLocaleString()} hashes | ${addMs.toFixed(0)} ms |`);
  console.log(
    `| nearest(maxDistance 40), multi-index (radius 2 per chunk), p50 / p99 | ${quantile(times, 0.5).toFixed(3)} / ${quantile(times, 0.99).toFixed(3)} ms |`,
  );
  console.log(
    `| same, CPU time p50 / p99 | ${quantile(cpu, 0.5).toFixed(3)} / ${quantile(cpu, 0.99).toFixed(3)} ms |`,
  );
  console.log(`| nearest(maxDistance 64), linear scan, p50 | ${quantile(scan, 0.5).toFixed(2)} ms |`);
  console.log(
    `| fixtures cropped 5%, resized and JPEG-compressed, found within 40 | ${found}/${queries.length} |`,
  );
}

export async function run(): Promise<void> {
  evaluate();
  // Written after the lexicon rules were designed and before they were tuned; never tuned against.
  evaluate('optout-holdout-2.json', 'Second holdout');
  benchTextScale();
  await benchImages();
}
