import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegBin } from '../../../src/media/tools';
import {
  AUDIO_P_THRESHOLD,
  detectAudio,
  embedAudio,
  SEG_SNR_DB,
  segmentalSnr,
  SEG_SNR_MAX_DB,
  SEG_SNR_MIN_DB,
} from '../../../src/watermark/audio';
import { resample } from '../../../src/watermark/audio-resample';
import { matchIssued } from '../../../src/watermark/issued-match';
import { decodeAudio } from '../../../src/watermark/media';
import { fixture } from '../../helpers/fixtures';
import { addWhiteNoise, seededGauss } from '../../helpers/noise';

/**
 * The audio mark on a real speech excerpt (talking-a, 10 s) through the attacks of issue 4.
 * What holds from 3 s: clean, resampling, volume, any start offset, and most windows under white
 * noise at 20 dB SNR. Codecs and speed changes are tested on 9.5 s (what the file-level detector
 * reads); at 3 s they are not reliable yet (see the bench).
 */
jest.setTimeout(60000);

const key = Buffer.alloc(32, 0x5a);
const otherKey = Buffer.alloc(32, 0x33);
const payload = 'a1b2c3d4e5f60718';
const SR = 48000;

let dir: string;
let orig: Float32Array;
let marked: Float32Array;
let markedWav: string;
let segSnrDb: number;

function ffmpeg(args: string[]): void {
  execFileSync(ffmpegBin(), ['-v', 'error', '-y', ...args]);
}

/** Runs the marked track through ffmpeg (encoder args, file extension) and decodes 16 kHz mono. */
async function attacked(name: string, args: string[], ext: string): Promise<Float32Array> {
  const out = path.join(dir, `${name}.${ext}`);
  ffmpeg(['-i', markedWav, ...args, out]);
  return decodeAudio(out, 16000, 1);
}

function window(x: Float32Array, startSec: number, sec: number, sr = 16000): Float32Array {
  return x.subarray(Math.round(startSec * sr), Math.round((startSec + sec) * sr));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-audio-'));
  orig = await decodeAudio(fixture('selfie', 'talking-a.mp4'), SR, 1, 10);
  marked = Float32Array.from(orig);
  segSnrDb = embedAudio([marked], SR, payload, key).segSnrDb;
  const raw = path.join(dir, 'marked.f32');
  fs.writeFileSync(raw, Buffer.from(marked.buffer, marked.byteOffset, marked.byteLength));
  markedWav = path.join(dir, 'marked.wav');
  ffmpeg(['-f', 'f32le', '-ar', String(SR), '-ac', '1', '-i', raw, '-c:a', 'pcm_f32le', markedWav]);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('audio watermark: invisibility', () => {
  it('stays at least 30 dB below the signal (segmental SNR)', () => {
    expect(segSnrDb).toBeGreaterThanOrEqual(30);
    expect(segmentalSnr([orig], [marked], SR)).toBeCloseTo(segSnrDb, 6);
  });

  it('counts a segment the mark leaves alone as 35 dB, not as the hundreds of dB that would hide a loud mark elsewhere', () => {
    const sr = 16000;
    const gauss = seededGauss(7);
    const x = new Float32Array(sr * 2);
    for (let i = 0; i < x.length; i++) x[i] = 0.1 * gauss();
    expect(segmentalSnr([x], [Float32Array.from(x)], sr)).toBe(SEG_SNR_MAX_DB);
    // first second marked 20 dB down, second untouched: the mean of 20 and 35, not of 20 and ~200
    const m = Float32Array.from(x);
    for (let i = 0; i < sr; i++) m[i] += 0.1 * x[i];
    expect(segmentalSnr([x], [m], sr)).toBeCloseTo((20 + SEG_SNR_MAX_DB) / 2, 6);
    // and a segment drowned by its change counts as -10 dB at worst
    for (let i = 0; i < sr; i++) m[i] = x[i] + 1000 * x[i];
    expect(segmentalSnr([x], [m], sr)).toBeCloseTo((SEG_SNR_MIN_DB + SEG_SNR_MAX_DB) / 2, 6);
  });

  it('spends the whole segmental SNR budget: the per-frame cap is searched so the mean lands just above the target', () => {
    expect(segSnrDb).toBeGreaterThanOrEqual(SEG_SNR_DB);
    expect(segSnrDb).toBeLessThanOrEqual(SEG_SNR_DB + 0.5);
    // a quieter mark on request lands just above that target too
    const m = Float32Array.from(orig);
    const { segSnrDb: quieter } = embedAudio([m], SR, payload, key, { snrDb: 34 });
    expect(quieter).toBeGreaterThanOrEqual(34);
    expect(quieter).toBeLessThanOrEqual(34.5);
  });

  it('marks quiet passages more lightly than loud ones (noise over a track drowns the quiet ones first)', () => {
    // 3 s of white noise, then 3 s of it 20 dB quieter: the band ratios (and so the moves the
    // lattice asks for) are alike in both halves, so only the level-aware cap tells them apart
    const sr = 16000;
    const gauss = seededGauss(99);
    const x = new Float32Array(sr * 6);
    for (let i = 0; i < x.length; i++) x[i] = gauss() * (i < sr * 3 ? 0.1 : 0.01);
    const m = Float32Array.from(x);
    expect(embedAudio([m], sr, payload, key).segSnrDb).toBeGreaterThanOrEqual(SEG_SNR_DB);
    const snr = (a: number, b: number): number => {
      let es = 0,
        em = 0;
      for (let i = Math.round(a * sr); i < Math.round(b * sr); i++) {
        es += x[i] ** 2;
        em += (m[i] - x[i]) ** 2;
      }
      return 10 * Math.log10(es / em);
    };
    // measured: loud half 25.9 dB, quiet half 35.6 dB (a level-blind cap gave 28.7 and 28.7). A
    // segment counts 35 dB at most, so the quiet half is marked up to about that level (which costs
    // nothing) and the loud half takes the rest of the budget
    expect(snr(0.2, 2.8)).toBeLessThan(27);
    expect(snr(3.2, 5.8) - snr(0.2, 2.8)).toBeGreaterThan(8);
    expect(snr(3.2, 5.8)).toBeGreaterThan(SEG_SNR_MAX_DB - 1);
  });

  it('adds nothing to digital silence between sounds', () => {
    const sr = 16000;
    const x = new Float32Array(sr * 4);
    for (let i = 0; i < sr; i++) x[i] = x[i + 3 * sr] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / sr);
    const m = Float32Array.from(x);
    embedAudio([m], sr, payload, key);
    let maxGap = 0;
    for (let i = Math.round(1.05 * sr); i < Math.round(2.95 * sr); i++)
      maxGap = Math.max(maxGap, Math.abs(m[i]));
    expect(maxGap).toBe(0);
    const silent = new Float32Array(sr * 3);
    expect(embedAudio([silent], sr, payload, key).segSnrDb).toBe(Infinity);
    expect(silent.every((v) => v === 0)).toBe(true);
  });
});

/**
 * A low voice in syllables: a 95-135 Hz buzz whose harmonics fall off as 1/h^2 (most energy below
 * the marked bands), each syllable 0-24 dB below the loudest, short pauses over a faint hiss.
 */
function lowVoice(sec: number, sr: number, seed: number): Float32Array {
  let s = seed;
  const r = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const x = new Float32Array(Math.round(sec * sr));
  let t0 = 0,
    ph = 0;
  while (t0 < sec) {
    const dur = 0.15 + 0.2 * r(),
      gap = 0.08 + 0.15 * r();
    const level = 0.3 * 10 ** (-r() * 1.2);
    const f0 = 95 + 40 * r();
    for (let i = Math.round(t0 * sr); i < Math.min(x.length, Math.round((t0 + dur) * sr)); i++) {
      const u = (i / sr - t0) / dur;
      ph += (2 * Math.PI * f0 * (1 + 0.05 * u)) / sr;
      let v = 0;
      for (let h = 1; h * f0 < 4000; h++) v += Math.sin(h * ph) / (h * h);
      x[i] = level * Math.sin(Math.PI * u) ** 2 * v;
    }
    t0 += dur + gap;
  }
  for (let i = 0; i < x.length; i++) x[i] += 1e-3 * (r() - 0.5);
  return x;
}

describe('audio watermark: the payload from 3 s', () => {
  it('is read from 3 s of a low voice in syllables, whose mark the per-frame caps once held far under its budget', () => {
    // measured: with the caps fixed at a floor of 18 dB, tightened in quiet frames, the mark sat
    // at 47.4 dB and no window decoded (z 8.2-9.2); relaxed, 46.9 dB and z 12.4-13.4
    const x = lowVoice(8, SR, 5);
    const m = Float32Array.from(x);
    expect(embedAudio([m], SR, payload, key).segSnrDb).toBeGreaterThanOrEqual(SEG_SNR_DB);
    const y = resample(m, SR, 16000);
    for (const start of [0.1, 2.7, 4.2]) {
      const d = detectAudio(window(y, start, 3), 16000, key);
      expect(d).toMatchObject({ detected: true, payloadHex: payload });
    }
  });

  it('is read back from 3 s at any start offset (16 kHz, as detect-file.ts decodes)', async () => {
    const y = await attacked('clean', [], 'wav');
    for (const start of [0.7, 4.13]) {
      const d = detectAudio(window(y, start, 3), 16000, key);
      expect(d.detected).toBe(true);
      expect(d.payloadHex).toBe(payload);
      expect(d.pValue).toBeLessThanOrEqual(AUDIO_P_THRESHOLD);
    }
  });

  it('survives resampling 48k -> 44.1k -> 16k', async () => {
    const y = await attacked('resampled', ['-ar', '44100'], 'wav');
    const d = detectAudio(window(y, 2.2, 3), 16000, key);
    expect(d.payloadHex).toBe(payload);
  });

  it('survives volume -10 dB and +10 dB', () => {
    const m16 = execFileSync(
      ffmpegBin(),
      ['-v', 'error', '-i', markedWav, '-ar', '16000', '-f', 'f32le', 'pipe:1'],
      {
        maxBuffer: 1 << 28,
      },
    );
    const y = new Float32Array(m16.buffer.slice(m16.byteOffset, m16.byteOffset + m16.length));
    for (const g of [10 ** (-10 / 20), 10 ** (10 / 20)]) {
      const d = detectAudio(
        window(y, 1.1, 3).map((v) => v * g),
        16000,
        key,
      );
      expect(d.payloadHex).toBe(payload);
    }
  });
});

describe('audio watermark: codecs and speed (9.5 s, as detect-file.ts reads)', () => {
  it('survives MP3 64 kbit/s', async () => {
    const d = detectAudio(
      window(await attacked('mp3', ['-c:a', 'libmp3lame', '-b:a', '64k'], 'mp3'), 0.3, 9.5),
      16000,
      key,
    );
    expect(d.payloadHex).toBe(payload);
  });

  it('survives AAC 64 kbit/s', async () => {
    const d = detectAudio(
      window(await attacked('aac', ['-c:a', 'aac', '-b:a', '64k'], 'm4a'), 0.3, 9.5),
      16000,
      key,
    );
    expect(d.payloadHex).toBe(payload);
  });

  it('survives a 5% speed-up (pitch and tempo, as resampling does) and reports the speed', async () => {
    const y = await attacked('fast', ['-af', `asetrate=${SR * 1.05},aresample=${SR}`], 'wav');
    const d = detectAudio(window(y, 0.3, 9), 16000, key);
    expect(d.payloadHex).toBe(payload);
    expect(d.speed).toBeCloseTo(1.05, 2);
    expect(d.pitchKept).toBe(false);
  });

  it('survives a 5% slow-down that keeps the pitch (atempo, as video editors do) and reports the speed and the kept pitch', async () => {
    const y = await attacked('tempo-slow', ['-af', 'atempo=0.95'], 'wav');
    const d = detectAudio(window(y, 0.3, 9.5), 16000, key);
    expect(d.payloadHex).toBe(payload);
    expect(d.speed).toBeCloseTo(0.95, 2);
    expect(d.pitchKept).toBe(true);
  });
});

describe('audio watermark: white noise at 20 dB SNR (3 s)', () => {
  it('identifies every 3 s window with the ledger, and reads half of them by the code alone', async () => {
    const y = addWhiteNoise(Float32Array.from(await attacked('clean-noise', [], 'wav')), 20, 12345);
    const reads = [0.1, 1.2, 2.3, 3.4].map((t) => detectAudio(window(y, t, 3), 16000, key));
    for (const d of reads) if (d.payloadHex) expect(d.payloadHex).toBe(payload);
    expect(reads.filter((d) => d.payloadHex === payload).length).toBeGreaterThanOrEqual(2);
    // the rest are identified by the verifier's matched test, among a billion issued identifiers
    for (const d of reads)
      if (d.payloadHex !== payload)
        expect(matchIssued(d.evidence ?? [], [payload], 1e9)?.payloadHex).toBe(payload);
  });
});

describe('audio watermark: the readings behind a decision', () => {
  it('are kept when the code decides, so the ledger can check an identifier it never issued against the readings', async () => {
    const y = await attacked('aac-3s', ['-c:a', 'aac', '-b:a', '64k'], 'm4a');
    const reads = [0.13, 2.13, 4.13].map((t) => detectAudio(window(y, t, 3), 16000, key));
    const decided = reads.filter((d) => d.detected && d.payloadHex);
    expect(decided.length).toBeGreaterThanOrEqual(1);
    for (const d of decided) {
      expect(d.evidence?.length).toBeGreaterThanOrEqual(1);
      // the matched test names the identifier the readings carry among a billion issued
      expect(matchIssued(d.evidence ?? [], [payload], 1e9)?.payloadHex).toBe(payload);
      expect(matchIssued(d.evidence ?? [], ['0123456789abcdef'], 1e9)).toBeNull();
    }
  });
});

describe('audio watermark: false positives', () => {
  it('does not detect unmarked speech, noise or silence, nor the mark under another key', async () => {
    const y = await decodeAudio(fixture('selfie', 'talking-b.mp4'), 16000, 1);
    const noise = new Float32Array(16000 * 3);
    let s = 7;
    for (let i = 0; i < noise.length; i++) {
      s = (s * 1664525 + 1013904223) >>> 0;
      noise[i] = (s / 2 ** 32 - 0.5) * 0.2;
    }
    const inputs = [window(y, 2, 3), noise, new Float32Array(16000 * 3)];
    for (const x of inputs) {
      const d = detectAudio(x, 16000, key);
      expect(d.detected).toBe(false);
      expect(d.payloadHex).toBeNull();
      expect(d.pValue).toBeGreaterThan(AUDIO_P_THRESHOLD);
    }
    expect(detectAudio(new Float32Array(8000), 16000, key).reason).toMatch(/shorter/);
    const m16 = await attacked('clean2', [], 'wav');
    expect(detectAudio(window(m16, 0.7, 3), 16000, otherKey).detected).toBe(false);
  });
});
