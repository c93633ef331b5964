import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { cropAtOffset } from '../../tests/helpers/crops';
import { fixture } from '../../tests/helpers/fixtures';
import { detectFile, embedImageFile } from '../../src/watermark/files';
import { BENCH_LEDGER_SIZE, benchLedger, ledgerAided, table } from './tools';

const crop = (frac: number) => (src: string, out: string) => cropAtOffset(src, out, frac);

const ATTACKS: [string, string, (src: string, out: string) => Promise<unknown>][] = [
  ['as written (PNG)', 'png', async (s, o) => fs.promises.copyFile(s, o)],
  ['JPEG q75', 'jpg', (s, o) => sharp(s).jpeg({ quality: 75 }).toFile(o)],
  ['JPEG q50', 'jpg', (s, o) => sharp(s).jpeg({ quality: 50 }).toFile(o)],
  ['JPEG q30', 'jpg', (s, o) => sharp(s).jpeg({ quality: 30 }).toFile(o)],
  ['crop 50% of the area at an offset', 'png', crop(0.5)],
  ['crop 35% of the area at an offset', 'png', crop(0.35)],
  [
    'downscale to 75% of the width',
    'png',
    async (s, o) => {
      const m = await sharp(s).metadata();
      await sharp(s)
        .resize(Math.round(m.width! * 0.75))
        .png()
        .toFile(o);
    },
  ],
];

/** The fixture stills every still-image section reads. */
export const STILLS = [
  'media/coffee.png',
  'media/chelsea.png',
  'faces/astronaut.png',
  'faces/obama-1.jpg',
  'faces/obama-2.jpg',
  'faces/biden-1.jpg',
  'faces/biden-2.jpg',
];

/**
 * Stills (marked at the still-image strength, read as detectFile reads an image): each attack
 * decided by the code alone, by the ledger-aided list test with a billion issued identifiers, and
 * also by the matched test against every one of them.
 */
export async function stillsRobustness(tmp: string, key: Buffer, payload: string): Promise<void> {
  console.log(
    `### Stills (embedImageFile; payload read back by the code alone / with a ledger of ${BENCH_LEDGER_SIZE.toExponential(0)})\n`,
  );
  const dir = fs.mkdtempSync(path.join(tmp, 'stills-'));
  const tally = new Map<string, [number, number, number, number]>();
  const rows: (string | number)[][] = [];
  for (const s of STILLS) {
    const marked = path.join(dir, `${path.basename(s)}.png`);
    const q = await embedImageFile(fixture(...s.split('/')), marked, payload, key);
    const m = await sharp(marked).metadata();
    for (const [name, ext, attack] of ATTACKS) {
      const out = path.join(dir, `a.${ext}`);
      await attack(marked, out);
      const d = await detectFile(out, key);
      const ok = d.detected && d.payloadHex === payload;
      const la = ledgerAided(d, payload);
      // As the verifier reads it: the list test, then the matched test over the whole ledger.
      const lm = la.ok
        ? la
        : await detectFile(out, key, {
            ...benchLedger(payload),
          }).then((x) => ({ ok: x.detected && x.payloadHex === payload, pValue: x.pValue }));
      const t = tally.get(name) ?? [0, 0, 0, 0];
      tally.set(name, [t[0] + (ok ? 1 : 0), t[1] + (la.ok ? 1 : 0), t[2] + (lm.ok ? 1 : 0), t[3] + 1]);
      rows.push([
        `${s} (${m.width}x${m.height}, ${q.psnrDb.toFixed(1)} dB, SSIM ${q.ssim.toFixed(4)})`,
        name,
        ok ? 'yes' : 'no',
        d.pValue.toExponential(1),
        la.ok ? `yes (${la.pValue!.toExponential(1)})` : 'no',
        lm.ok ? `yes (${lm.pValue!.toExponential(1)})` : 'no',
      ]);
    }
  }
  table(
    [
      'still',
      'attack',
      'code alone',
      'p-value',
      'with the ledger (p)',
      'also matched against every issued identifier (p)',
    ],
    rows,
  );
  table(
    ['attack', 'code alone', 'with the ledger', 'also matched'],
    [...tally.entries()].map(([k, [a, b, c, n]]) => [k, `${a}/${n}`, `${b}/${n}`, `${c}/${n}`]),
  );
  fs.rmSync(dir, { recursive: true, force: true });
}
