import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Invalid, UnsupportedMedia } from '../http/errors';
import type { AudioDetection } from './audio';
import { embedAudioOffThread } from './audio-embed-off-thread';
import {
  chargeCandidates,
  issuedPValue,
  ISSUED_P_THRESHOLD,
  lookUpIssued,
  reconcileWithLedger,
  type CodeDecision,
  type IssuedDecision,
  type IssuedLookup,
} from './issued';
import {
  chargeEvidence,
  jointEvidence,
  matchIssued,
  matchLedger,
  type IssuedScan,
  type MarkEvidence,
} from './issued-match';
import { AudioSearchStopped, detectAudioOffThread } from './audio-off-thread';
import { startLumaDetector } from './luma-off-thread';
import {
  confirmLuma,
  createLumaEmbedder,
  defaultStrengthFor,
  LumaAccumulator,
  MIN_SIDE,
  type LumaDetection,
  type LumaEmbedOptions,
} from './luma';
import { decodeAudio, decodeLuma, probeMedia, rawFrames, spawnFfmpeg, type MediaInfo } from './media';
import { psnr, ssim } from './quality';
import type { WatermarkDetection } from './types';

const IMAGE_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'avif', 'heif', 'gif']);
const SEGMENT_SEC = 3;
/** Audio is analysed at 16 kHz: everything the mark needs survives a 16 kHz resample. */
const AUDIO_DETECT_RATE = 16000;

function checkPayload(payloadHex: string): void {
  if (!/^[0-9a-fA-F]{16}$/.test(payloadHex))
    throw new Invalid('invalid_payload', 'The payload must be 16 hexadecimal digits (64 bits).');
}
function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new Invalid('invalid_key', 'The watermark key must be 32 bytes.');
}

/** What embedVideoFile writes: an MP4 for a clip with pictures, these for sound alone. */
const VIDEO_OUTPUTS = ['.mp4', '.m4v', '.mov'];
const AUDIO_OUTPUTS = ['.m4a', '.mp4', '.aac', '.mp3', '.wav'];
/**
 * Longest media embedVideoFile marks. The sound is marked whole in memory (about 3.6 GB of RSS and
 * 2 minutes for 20 minutes of 48 kHz stereo on the 2-core dev machine), so a feature-length file
 * would exhaust a host's memory instead of failing with a reason.
 */
export const MAX_MARK_SECONDS = 15 * 60;
/**
 * The marked sound's AAC bitrate. Every re-encoding after delivery starts from this copy, and the
 * mark survives a second codec better the less the first one took. Five soundtracks of the
 * built-in model, delivered then re-encoded, 3 s windows identified against a ledger of 1e9, of 30
 * (160k / 256k / 320k): MP3 64k 1 / 5 / 11, AAC 128k 25 / 27 / 28. About 200 kB more per 10 s.
 */
const DELIVERED_AAC_BITRATE = '320k';
/** Share of a video's frames (as its container counts them) that must decode for it to be marked. */
const MIN_DECODED_SHARE = 0.9;

/**
 * Runs `write` against a hidden file beside outPath and moves it into place only when it succeeds:
 * a mark that fails part way (ffmpeg has already written the start of the file) never leaves a
 * file, or half of one, where the output was asked for. The extension is kept: ffmpeg picks the
 * container from it.
 */
async function writeAtomically<T>(outPath: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const ext = path.extname(outPath);
  const tmp = path.join(
    path.dirname(outPath),
    `.${path.basename(outPath, ext)}.${crypto.randomBytes(6).toString('hex')}.partial${ext}`,
  );
  try {
    const r = await write(tmp);
    await fs.promises.rename(tmp, outPath);
    return r;
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

async function imageFormat(p: string): Promise<string | null> {
  try {
    const m = await sharp(p).metadata();
    return m.format && IMAGE_FORMATS.has(m.format) && (m.pages ?? 1) === 1 ? m.format : null;
  } catch {
    return null;
  }
}

/**
 * A still has no frame averaging at detection, so it takes the whole invisibility budget: the
 * embedder's SSIM and squared-change bounds sit just inside the bars, and embedImageFile measures
 * the written picture against them exactly.
 */
export const IMAGE_EMBED: Required<Pick<LumaEmbedOptions, 'strength' | 'maxMse'>> = {
  strength: 0.0095,
  maxMse: 3.9,
};
/** The invisibility bars every marked still meets, measured on its luma. */
export const IMAGE_MIN_PSNR_DB = 42;
export const IMAGE_MIN_SSIM = 0.99;
const IMAGE_EMBED_TRIES = 6;

function lumaOf(rgb: Uint8Array | Buffer, c: number, n: number): Uint8Array {
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++)
    y[i] = Math.round(0.299 * rgb[i * c] + 0.587 * rgb[i * c + 1] + 0.114 * rgb[i * c + 2]);
  return y;
}

/** A still as 8-bit RGB (EXIF orientation applied, alpha dropped), as marking and detection read it. */
async function decodeStill(p: string): Promise<{ data: Buffer; info: sharp.OutputInfo }> {
  return sharp(p).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
}

/**
 * Marks a still image: the luma change is added equally to R, G and B so chroma is untouched.
 * The marked pixels are measured before writing; a picture that misses a bar is marked again more
 * weakly (the estimates behind the embedder's bounds are averages, and a picture can stray).
 */
export async function embedImageFile(
  inPath: string,
  outPath: string,
  payloadHex: string,
  key: Buffer,
  opts: LumaEmbedOptions = IMAGE_EMBED,
): Promise<{ psnrDb: number; ssim: number }> {
  checkPayload(payloadHex);
  checkKey(key);
  if (!fs.existsSync(inPath)) throw new Invalid('file_not_found', `No file at ${inPath}.`);
  const fmt = await imageFormat(inPath);
  if (!fmt) throw new UnsupportedMedia('unsupported_image', 'The input is not a readable still image.');
  const ext = path.extname(outPath).toLowerCase();
  if (!['.jpg', '.jpeg', '.webp', '.png', ''].includes(ext))
    throw new Invalid('unsupported_output', `Cannot write images as ${ext}; use .png, .jpg or .webp.`);
  const { data, info } = await decodeStill(inPath);
  const { width: w, height: h, channels: c } = info;
  if (w < MIN_SIDE || h < MIN_SIDE)
    throw new Invalid(
      'image_too_small',
      `Images smaller than ${MIN_SIDE}x${MIN_SIDE} cannot carry the mark.`,
    );
  const y = lumaOf(data, c, w * h);
  let strength = opts.strength ?? IMAGE_EMBED.strength;
  let maxMse = opts.maxMse ?? IMAGE_EMBED.maxMse;
  for (let attempt = 1; ; attempt++) {
    const marked = Uint8Array.from(y);
    createLumaEmbedder(payloadHex, key, { strength, maxMse }).embed(marked, w, h);
    const out = Buffer.from(data);
    for (let i = 0; i < w * h; i++) {
      const d = marked[i] - y[i];
      if (d === 0) continue;
      for (let k = 0; k < 3; k++) {
        const v = out[i * c + k] + d;
        out[i * c + k] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    const yOut = lumaOf(out, c, w * h);
    const psnrDb = psnr(y, yOut);
    if (!Number.isFinite(psnrDb))
      throw new UnsupportedMedia(
        'image_not_markable',
        'The picture has no tones the mark can change (it is all black or all white).',
      );
    const ss = ssim(y, yOut, w, h);
    if (psnrDb >= IMAGE_MIN_PSNR_DB && ss >= IMAGE_MIN_SSIM) {
      let img = sharp(out, { raw: { width: w, height: h, channels: c } });
      if (ext === '.jpg' || ext === '.jpeg') img = img.jpeg({ quality: 95, chromaSubsampling: '4:4:4' });
      else if (ext === '.webp') img = img.webp({ quality: 95 });
      else img = img.png();
      await img.toFile(outPath);
      return { psnrDb, ssim: ss };
    }
    // Only reachable on pictures unlike the fixtures; each retry lowers the bound that was missed.
    if (attempt === IMAGE_EMBED_TRIES)
      throw new UnsupportedMedia(
        'image_not_markable',
        'The mark could not be made invisible enough on this picture.',
      );
    if (psnrDb < IMAGE_MIN_PSNR_DB) maxMse *= 10 ** ((psnrDb - IMAGE_MIN_PSNR_DB - 0.05) / 10);
    if (ss < IMAGE_MIN_SSIM) strength *= (1 - IMAGE_MIN_SSIM - 0.0003) / (1 - ss);
  }
}

/** SSIM a sampled frame of a marked video must keep; below it the frame is marked again, weaker. */
export const VIDEO_MIN_SSIM = 0.9905;
const VIDEO_SSIM_AIM = 0.991;
const QUALITY_SAMPLE_SEC = 5;

/**
 * Marks a clip's frames and measures one frame every few seconds (SSIM costs about 150 ms at 720p,
 * too much for every frame). The embedder's SSIM bound is an estimate; a sampled frame that misses
 * the floor is re-marked from its original at a lower strength, which then carries on, and a later
 * sample with room to spare restores it towards the default.
 */
export function createQualityGuard(
  payloadHex: string,
  key: Buffer,
  w: number,
  h: number,
  fps: number,
  base = defaultStrengthFor(w, h),
) {
  let scale = 1;
  let embedder = createLumaEmbedder(payloadHex, key, { strength: base, video: true });
  let lowest = 1;
  const every = Math.max(1, Math.round(QUALITY_SAMPLE_SEC * (fps > 0 ? fps : 30)));
  const rescale = (s: number) => {
    scale = Math.min(1, s);
    embedder = createLumaEmbedder(payloadHex, key, { strength: base * scale, video: true });
  };
  return {
    embed(y: Uint8Array, index: number): number {
      if (index % every !== 0) return embedder.embed(y, w, h);
      const original = Uint8Array.from(y);
      let mse = embedder.embed(y, w, h);
      let s = ssim(original, y, w, h);
      if (s >= VIDEO_MIN_SSIM) {
        if (scale < 1) rescale((scale * (1 - VIDEO_SSIM_AIM)) / (1 - s));
      } else
        for (let tries = 0; s < VIDEO_MIN_SSIM && tries < 8; tries++) {
          // The loss is not quite proportional to the strength (the amplitude curve's knee moves).
          rescale((0.95 * scale * (1 - VIDEO_SSIM_AIM)) / (1 - s));
          y.set(original);
          mse = embedder.embed(y, w, h);
          s = ssim(original, y, w, h);
        }
      lowest = Math.min(lowest, s);
      return mse;
    },
    /** The lowest SSIM among the sampled frames, as marked. */
    ssimMin: () => lowest,
    /** The strength now in use, as a share of the base. */
    scale: () => scale,
  };
}

/** ffmpeg input arguments for a marked track written as raw interleaved float samples */
function rawAudioInput(audio: { path: string; rate: number; channels: number }): string[] {
  return ['-f', 'f32le', '-ar', String(audio.rate), '-ac', String(audio.channels), '-i', audio.path];
}

/** Marks a file's sound (on a worker thread) into a temporary raw f32le file; returns its path. */
async function markedAudioTrack(
  inPath: string,
  info: MediaInfo,
  payloadHex: string,
  key: Buffer,
  dir: string,
): Promise<{ path: string; rate: number; channels: number } | null> {
  if (!info.audio) return null;
  const rate = info.audio.sampleRate;
  const channels = Math.min(2, Math.max(1, info.audio.channels));
  let inter: Float32Array;
  try {
    inter = await decodeAudio(inPath, rate, channels);
  } catch {
    throw new UnsupportedMedia(
      'undecodable_audio',
      'The sound could not be decoded: the file is damaged or its audio codec is not supported.',
    );
  }
  const n = Math.floor(inter.length / channels);
  const planes = Array.from({ length: channels }, (_, c) => {
    const p = new Float32Array(n);
    for (let i = 0; i < n; i++) p[i] = inter[i * channels + c];
    return p;
  });
  const marked = await embedAudioOffThread(planes, rate, payloadHex, key);
  for (let c = 0; c < channels; c++) for (let i = 0; i < n; i++) inter[i * channels + c] = marked[c][i];
  const p = path.join(dir, 'audio.f32');
  await fs.promises.writeFile(p, Buffer.from(inter.buffer, inter.byteOffset, n * channels * 4));
  return { path: p, rate, channels };
}

/**
 * Marks a video (and its audio track, if any) and writes an H.264/AAC MP4. Odd sizes lose their
 * last row/column (4:2:0 needs even sizes); 10-bit and 4:4:4 inputs come out as 8-bit 4:2:0;
 * variable frame rate is written at its base rate, in time with the sound (frames repeat where the
 * source ran slower).
 */
export async function embedVideoFile(
  inPath: string,
  outPath: string,
  payloadHex: string,
  key: Buffer,
): Promise<{ psnrDb?: number; ssimMin?: number }> {
  checkPayload(payloadHex);
  checkKey(key);
  const info = await probeMedia(inPath);
  const ext = path.extname(outPath).toLowerCase();
  if (info.durationSec > MAX_MARK_SECONDS)
    throw new Invalid(
      'media_too_long',
      `The file lasts ${(info.durationSec / 60).toFixed(1)} minutes; at most ${MAX_MARK_SECONDS / 60} minutes are marked at a time (cut it into parts).`,
    );
  if (!info.video) {
    if (!info.audio) throw new UnsupportedMedia('no_media_streams', 'The file has neither video nor audio.');
    if (!AUDIO_OUTPUTS.includes(ext))
      throw new Invalid(
        'unsupported_output',
        `Marked sound is written as ${AUDIO_OUTPUTS.join(', ')}: give the output one of these extensions${ext ? `, not ${ext}` : ''}.`,
      );
    return writeAtomically(outPath, (tmp) => embedAudioFile(inPath, tmp, payloadHex, key, info));
  }
  if (!VIDEO_OUTPUTS.includes(ext))
    throw new Invalid(
      'unsupported_output',
      `Marked videos are written as H.264/AAC MP4: give the output one of ${VIDEO_OUTPUTS.join(', ')} as its extension${ext ? `, not ${ext}` : ''}.`,
    );
  const w = info.video.width & ~1,
    h = info.video.height & ~1;
  if (w < MIN_SIDE || h < MIN_SIDE)
    throw new Invalid(
      'video_too_small',
      `Videos smaller than ${MIN_SIDE}x${MIN_SIDE} cannot carry the mark.`,
    );
  const video = { ...info.video, width: w, height: h };
  return writeAtomically(outPath, (tmp) => embedFrames(inPath, tmp, payloadHex, key, { ...info, video }));
}

async function embedFrames(
  inPath: string,
  outPath: string,
  payloadHex: string,
  key: Buffer,
  info: MediaInfo & { video: NonNullable<MediaInfo['video']> },
): Promise<{ psnrDb?: number; ssimMin?: number }> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'wm-'));
  try {
    // The sound is marked on its own thread while the picture is: the two meet in a last remux.
    const pictureOut = info.audio ? path.join(dir, 'video.mp4') : outPath;
    const [a, v] = await Promise.allSettled([
      markedAudioTrack(inPath, info, payloadHex, key, dir),
      embedPicture(inPath, pictureOut, payloadHex, key, info),
    ]);
    // the sound's error first, as when it was marked before the picture
    if (a.status === 'rejected') throw a.reason;
    if (v.status === 'rejected') throw v.reason;
    const audio = a.value;
    if (audio) {
      const mux = spawnFfmpeg([
        '-v',
        'error',
        '-y',
        '-i',
        pictureOut,
        ...rawAudioInput(audio),
        '-map',
        '0:v:0',
        '-map',
        '1:a:0',
        '-c:v',
        'copy',
        '-c:a',
        'aac',
        '-b:a',
        DELIVERED_AAC_BITRATE,
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
        outPath,
      ]);
      mux.child.stdin.end();
      await mux.done;
    }
    return v.value;
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** Decodes, marks and encodes the picture alone (H.264 MP4 at outPath). */
async function embedPicture(
  inPath: string,
  outPath: string,
  payloadHex: string,
  key: Buffer,
  info: MediaInfo & { video: NonNullable<MediaInfo['video']> },
): Promise<{ psnrDb?: number; ssimMin?: number }> {
  const { width: w, height: h } = info.video;
  const dec = spawnFfmpeg([
    '-v',
    'error',
    '-i',
    inPath,
    '-map',
    '0:v:0',
    '-an',
    '-vf',
    `crop=${w}:${h}:0:0`,
    // Frames go out through a pipe that carries no timestamps and are written at a constant rate:
    // resampled here to that rate (a frame repeated where a variable-rate source ran slower),
    // the picture stays in time with the sound.
    '-fps_mode',
    'cfr',
    '-r',
    info.video.writeFps.toFixed(6),
    '-pix_fmt',
    'yuv420p',
    '-f',
    'rawvideo',
    'pipe:1',
  ]);
  const encArgs = [
    '-v',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    '-s',
    `${w}x${h}`,
    '-framerate',
    info.video.writeFps.toFixed(6),
    '-i',
    'pipe:0',
    '-map',
    '0:v:0',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '17',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    outPath,
  ];
  const enc = spawnFfmpeg(encArgs);
  const quality = createQualityGuard(payloadHex, key, w, h, info.video.writeFps);
  const frameBytes = w * h + 2 * (w / 2) * (h / 2);
  let mseSum = 0,
    frames = 0;
  const decDone = dec.done.then(
    () => null,
    (e: Error) => e,
  );
  const encDone = enc.done.then(
    () => null,
    (e: Error) => e,
  );
  for await (const f of rawFrames(dec.child, frameBytes)) {
    const buf = Buffer.from(f);
    mseSum += quality.embed(new Uint8Array(buf.buffer, buf.byteOffset, w * h), frames);
    frames++;
    if (!enc.child.stdin.write(buf)) await new Promise<void>((r) => enc.child.stdin.once('drain', () => r()));
  }
  enc.child.stdin.end();
  const [de, ee] = await Promise.all([decDone, encDone]);
  if (de && frames === 0)
    throw new UnsupportedMedia('undecodable_video', 'The video stream could not be decoded.');
  // A damaged stream decodes to the few frames ffmpeg could rebuild; marking those would hand
  // back a different, shorter clip as if it were the input.
  const expected = info.video.frames;
  if (expected && frames < expected * MIN_DECODED_SHARE)
    throw new UnsupportedMedia(
      'undecodable_video',
      `Only ${frames} of the video's ${expected} frames could be decoded; the file is damaged.`,
    );
  if (ee) throw ee;
  const mse = mseSum / Math.max(1, frames);
  return {
    psnrDb: mse > 0 ? 10 * Math.log10((255 * 255) / mse) : undefined,
    ssimMin: quality.ssimMin(),
  };
}

async function embedAudioFile(
  inPath: string,
  outPath: string,
  payloadHex: string,
  key: Buffer,
  info: MediaInfo,
): Promise<{ psnrDb?: number }> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'wm-'));
  try {
    const audio = (await markedAudioTrack(inPath, info, payloadHex, key, dir))!;
    const ext = path.extname(outPath).toLowerCase();
    const codec =
      ext === '.wav'
        ? ['-c:a', 'pcm_s16le']
        : ext === '.mp3'
          ? ['-c:a', 'libmp3lame', '-b:a', '192k']
          : ['-c:a', 'aac', '-b:a', DELIVERED_AAC_BITRATE];
    const enc = spawnFfmpeg(['-v', 'error', '-y', ...rawAudioInput(audio), ...codec, outPath]);
    enc.child.stdin.end();
    await enc.done;
    return {};
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** What vouches for a reported payload (WatermarkDetection.payloadCheck). */
function payloadTrust(
  payloadHex: string | null,
  ledgerConfirmed: boolean,
  decodes: { payloadHex: string | null; payloadCrcRate?: number }[],
): Pick<WatermarkDetection, 'payloadCheck' | 'payloadCrcRate'> {
  if (!payloadHex) return { payloadCheck: null, payloadCrcRate: null };
  if (ledgerConfirmed) return { payloadCheck: 'ledger', payloadCrcRate: null };
  const agree = decodes.filter((d) => d.payloadHex === payloadHex);
  // two CRCs over independent readings: both wrong is the product at most
  const bound = agree.reduce((b, d) => b * (d.payloadCrcRate ?? 1), 1);
  return { payloadCheck: agree.length > 1 ? 'picture+sound' : 'crc', payloadCrcRate: bound };
}

function fromLuma(
  d: LumaDetection,
): Pick<WatermarkDetection, 'detected' | 'payloadHex' | 'pValue' | 'score' | 'reason'> {
  return {
    detected: d.detected,
    payloadHex: d.payloadHex,
    pValue: d.pValue,
    score: d.score,
    reason: d.reason,
  };
}

async function detectImage(
  p: string,
  key: Buffer,
  issued?: IssuedLookup,
  issuedScan?: IssuedScan,
): Promise<WatermarkDetection> {
  const picture = startLumaDetector(key);
  let d: LumaDetection;
  try {
    const { data, info } = await decodeStill(p);
    const { width: w, height: h, channels: c } = info;
    const y = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++)
      y[i] = 0.299 * data[i * c] + 0.587 * data[i * c + 1] + 0.114 * data[i * c + 2];
    d = await picture.detect(y, w, h, { originPrior: true });
  } finally {
    picture.close();
  }
  let byIssued: IssuedDecision | null = null;
  let confirmed = false;
  if (!(d.detected && d.payloadHex)) {
    if (issued) byIssued = await lookUpIssued(d.candidates ?? [], issued);
    if (!byIssued && issuedScan && d.evidence?.length) byIssued = await matchLedger(d.evidence, issuedScan);
  } else if (issued) {
    const r = await reconcileWithLedger(
      [{ payloadHex: d.payloadHex, source: 'picture' }],
      d.candidates ?? [],
      issued,
    );
    confirmed = r === null;
    if (r?.decidedBy === 'ledger') byIssued = r;
    if (r?.decidedBy === 'unissued' && issuedScan && d.evidence?.length)
      byIssued = await matchLedger(d.evidence, issuedScan);
  }
  return {
    ...fromLuma(d),
    ...(byIssued
      ? { detected: true, payloadHex: byIssued.payloadHex, pValue: byIssued.pValue, reason: undefined }
      : {}),
    ...payloadTrust(byIssued?.payloadHex ?? d.payloadHex, confirmed || !!byIssued, [d]),
    decidedBy: byIssued ? 'ledger' : d.detected ? 'code' : null,
    candidates: d.candidates ?? [],
    video: { framesUsed: 1, secondsUsed: 0, segments: [], transform: d.transform ?? identity() },
    audio: null,
  };
}

/**
 * The matched test on a clip's readings, each charged for every matched test the clip can run:
 * the picture's, then the sound's, then both together. `jointPicture` pairs with the sound when
 * the picture's own test already ran.
 */
async function matchReadings(
  picture: MarkEvidence[],
  sound: MarkEvidence[],
  matchedTests: number,
  scan: IssuedScan,
  jointPicture: MarkEvidence[] = picture,
): Promise<IssuedDecision | null> {
  if (picture.length) {
    const m = await matchLedger(chargeEvidence(picture, matchedTests), scan);
    if (m) return m;
  }
  if (sound.length) {
    const m = await matchLedger(chargeEvidence(sound, matchedTests), scan);
    if (m) return m;
  }
  if (jointPicture.length && sound.length)
    return matchLedger(chargeEvidence(jointEvidence(jointPicture, sound), matchedTests), scan);
  return null;
}

function meanOf(accs: LumaAccumulator[]): Float32Array {
  const m = new Float32Array(accs[0].sum.length);
  let n = 0;
  for (const a of accs) {
    const s = a.sum;
    for (let i = 0; i < m.length; i++) m[i] += s[i];
    n += a.frames;
  }
  for (let i = 0; i < m.length; i++) m[i] /= n;
  return m;
}

function identity() {
  return { scale: 1, rotationDeg: 0, flipped: false, offsetX: 0, offsetY: 0 };
}

async function detectAudioTrack(p: string, maxSeconds: number): Promise<{ pcm: Float32Array } | null> {
  try {
    return { pcm: await decodeAudio(p, AUDIO_DETECT_RATE, 1, maxSeconds) };
  } catch {
    return null;
  }
}

/** Sniffs image / video / audio and reports the mark. Unreadable files throw; odd content does not. */
export async function detectFile(
  p: string,
  key: Buffer,
  opts: {
    maxSeconds?: number;
    /**
     * Look once after this many seconds of picture: a mark found there with its identifier ends the
     * analysis (the rest of the picture and the sound are not decoded). Two looks share the
     * false-detection budget, so each p-value carries a factor of two.
     */
    quickSeconds?: number;
    /** Called once it is known that the whole clip will be read (no quick look, or it did not settle). */
    onUndecided?: () => void;
    /**
     * The ledger: when the code alone does not decide, a decoded payload that names an identifier
     * it issued does, at a p-value charged for how many it issued (issued.ts).
     */
    issued?: IssuedLookup;
    /**
     * Every identifier the ledger issued: a picture or sound whose payload neither the code nor the
     * list test decides is matched against each of them (issued-match.ts).
     */
    issuedScan?: IssuedScan;
  } = {},
): Promise<WatermarkDetection> {
  checkKey(key);
  if (!fs.existsSync(p)) throw new Invalid('file_not_found', `No file at ${p}.`);
  if (await imageFormat(p)) return detectImage(p, key, opts.issued, opts.issuedScan);
  const info = await probeMedia(p);
  const maxSeconds = opts.maxSeconds ?? 10;
  if (!info.video && !info.audio)
    throw new UnsupportedMedia('no_media_streams', 'The file has neither video nor audio.');
  const pictureUsable = !!info.video && info.video.width >= MIN_SIDE && info.video.height >= MIN_SIDE;
  const quick =
    pictureUsable && opts.quickSeconds !== undefined && opts.quickSeconds < maxSeconds
      ? opts.quickSeconds
      : null;
  // The sound is decoded by its own ffmpeg and searched on its own thread from the start, beside
  // the picture; a quick look that settles the clip cancels it. null: the sound was undecodable.
  const audio: { result: Promise<AudioDetection | null> | null } = { result: null };
  const audioStop = new AbortController();
  if (info.audio) {
    audio.result = detectAudioTrack(p, maxSeconds)
      .then((a) =>
        a && !audioStop.signal.aborted
          ? detectAudioOffThread(a.pcm, AUDIO_DETECT_RATE, key, { signal: audioStop.signal })
          : null,
      )
      .catch((e: unknown) => {
        if (e instanceof AudioSearchStopped) return null;
        throw e;
      });
    // Once cancelled nobody awaits it: a late failure must not become an unhandled rejection.
    audio.result.catch(() => undefined);
  }
  let undecided = false;
  const markUndecided = () => {
    if (undecided) return;
    undecided = true;
    opts.onUndecided?.();
  };
  if (quick === null) markUndecided();
  // The tests this file can have (picture, sound), fixed before either runs: each ledger-aided
  // decision is charged for all of them.
  const plannedTests = (pictureUsable ? 1 : 0) + (info.audio ? 1 : 0) || 1;
  // The matched test can also read both marks together (they carry the same coded word): one more
  // test sharing its budget when the file has both.
  const matchedTests = plannedTests + (pictureUsable && info.audio ? 1 : 0);
  let byIssued: IssuedDecision | null = null;
  let pictureMatched = false;
  let video: WatermarkDetection['video'] = null;
  let vd: LumaDetection | null = null;
  let skipped: string | undefined;
  const reasons: string[] = [];
  if (info.video) {
    const { width: w, height: h } = info.video;
    if (!pictureUsable) reasons.push(`video ${w}x${h} is smaller than the ${MIN_SIDE}px minimum`);
    else {
      // Started now, the detector's worker is ready when the frames are summed.
      const picture = startLumaDetector(key);
      try {
        // Each frame is added once, to its timeline segment; the whole clip is the sum of those.
        const segs: { acc: LumaAccumulator; start: number; end: number }[] = [];
        let looked = false;
        for await (const f of decodeLuma(p, info, maxSeconds)) {
          if (quick !== null && !looked && f.timeSec >= quick) {
            looked = true;
            const used = segs.filter((s) => s.acc.frames > 0);
            const d = await picture.detect(meanOf(used.map((s) => s.acc)), w, h, {
              originPrior: true,
              looks: 2,
              cheapOnly: true,
            });
            if (d.detected && d.payloadHex) {
              vd = d;
              skipped = `The first ${quick} s of the picture carried the mark with its identifier, so the rest of the picture${info.audio ? ' and the sound were' : ' was'} not analysed.`;
              audioStop.abort();
              audio.result = null;
              break;
            }
            markUndecided();
          }
          const si = Math.floor(f.timeSec / SEGMENT_SEC);
          while (segs.length <= si)
            segs.push({
              acc: new LumaAccumulator(w, h),
              start: segs.length * SEGMENT_SEC,
              end: segs.length * SEGMENT_SEC,
            });
          segs[si].acc.add(new Uint8Array(f.y.buffer, f.y.byteOffset, w * h));
          segs[si].end = f.timeSec + 1 / info.video.fps;
        }
        if (!skipped) markUndecided();
        const used = segs.filter((s) => s.acc.frames > 0);
        const frames = used.reduce((n, s) => n + s.acc.frames, 0);
        if (frames === 0) reasons.push('the video stream has no decodable frames');
        else {
          // A delivered clip re-encoded, trimmed or halved keeps the tile at the frame's origin: that
          // test costs a handful of trials instead of the search's hundreds of millions.
          vd ??= await picture.detect(meanOf(used.map((s) => s.acc)), w, h, {
            originPrior: true,
            looks: looked ? 2 : 1,
          });
          // A picture proven marked without its payload read goes to the ledger's tests too.
          const pictureNamed = vd.detected && !!vd.payloadHex;
          if (!pictureNamed && opts.issued)
            byIssued = await lookUpIssued(chargeCandidates(vd.candidates ?? [], plannedTests), opts.issued);
          if (!pictureNamed && !byIssued && vd.evidence?.length && opts.issuedScan) {
            pictureMatched = true;
            byIssued = await matchLedger(chargeEvidence(vd.evidence, matchedTests), opts.issuedScan);
          }
          const t = vd.transform;
          const found = vd;
          const hit = byIssued;
          // Segments are checked only at the geometry the whole clip revealed: one fold each. After a
          // ledger-aided decision a segment counts when it decodes that identifier within the budget.
          const confirmed = (acc: LumaAccumulator): boolean => {
            if (!t || (!found.detected && !hit)) return false;
            const c = confirmLuma(acc.mean(), w, h, key, t, found.trials);
            if (found.detected && found.payloadHex) return c.detected;
            if (!hit) return c.detected;
            return (
              chargeCandidates(c.candidates, plannedTests).some(
                (x) =>
                  x.payloadHex === hit.payloadHex && issuedPValue(x, hit.issuedCount) <= ISSUED_P_THRESHOLD,
              ) ||
              matchIssued(chargeEvidence(c.evidence, matchedTests), [hit.payloadHex], hit.issuedCount) !==
                null
            );
          };
          const segments =
            used.length > 1
              ? used.map((s) => ({ startSec: s.start, endSec: s.end, detected: confirmed(s.acc) }))
              : [{ startSec: 0, endSec: frames / info.video.fps, detected: vd.detected || !!byIssued }];
          video = {
            framesUsed: frames,
            secondsUsed: frames / info.video.fps,
            segments,
            transform: vd.transform ?? identity(),
          };
          if (!vd.detected && !byIssued && vd.reason) reasons.push(`video: ${vd.reason}`);
        }
      } finally {
        picture.close();
      }
    }
  } else markUndecided();
  let ad: AudioDetection | null = null;
  if (audio.result) {
    ad = await audio.result;
    if (!ad) reasons.push('audio: the audio stream could not be decoded');
    if (ad && !ad.detected && ad.reason) reasons.push(`audio: ${ad.reason}`);
  }
  // Two independent tests: Bonferroni over both keeps the false-detection bound.
  const tests = (vd ? 1 : 0) + (ad ? 1 : 0) || 1;
  const pv = Math.min(1, tests * Math.min(vd?.pValue ?? 1, ad?.pValue ?? 1));
  const byCode = Boolean(vd?.detected || ad?.detected);
  // A mark can be proven present (sync alone below 1e-9) with its payload unread: the ledger's
  // tests still name the identifier then.
  const named = Boolean((vd?.detected && vd.payloadHex) || (ad?.detected && ad.payloadHex));
  const candidates = chargeCandidates([...(vd?.candidates ?? []), ...(ad?.candidates ?? [])], plannedTests);
  if (!named && !byIssued && ad && opts.issued)
    byIssued = await lookUpIssued(chargeCandidates(ad.candidates ?? [], plannedTests), opts.issued);
  if (!named && !byIssued && opts.issuedScan)
    byIssued = await matchReadings([], ad?.evidence ?? [], matchedTests, opts.issuedScan, vd?.evidence ?? []);
  let payloadHex = vd?.payloadHex ?? ad?.payloadHex ?? byIssued?.payloadHex ?? null;
  let decidedBy: WatermarkDetection['decidedBy'] = named
    ? 'code'
    : byIssued
      ? 'ledger'
      : byCode
        ? 'code'
        : null;
  let confirmed = false;
  if (named && opts.issued) {
    const decided: CodeDecision[] = [];
    if (vd?.detected && vd.payloadHex) decided.push({ payloadHex: vd.payloadHex, source: 'picture' });
    if (ad?.detected && ad.payloadHex) decided.push({ payloadHex: ad.payloadHex, source: 'sound' });
    const r = await reconcileWithLedger(decided, candidates, opts.issued);
    confirmed = r === null || r.decidedBy === 'code';
    if (r?.decidedBy === 'code') payloadHex = r.payloadHex;
    let hit: IssuedDecision | null = r?.decidedBy === 'ledger' ? r : null;
    // The code named an identifier the ledger never issued, which may be a list path past the right
    // one: the readings are matched against what it issued, as when nothing was named (the same
    // tests, so the same charge).
    if (r?.decidedBy === 'unissued')
      hit =
        byIssued ??
        (opts.issuedScan
          ? await matchReadings(
              pictureMatched ? [] : (vd?.evidence ?? []),
              ad?.evidence ?? [],
              matchedTests,
              opts.issuedScan,
              vd?.evidence ?? [],
            )
          : null);
    if (hit) {
      byIssued = hit;
      payloadHex = hit.payloadHex;
      decidedBy = 'ledger';
    }
  }
  const detected = byCode || !!byIssued;
  const decodes = [vd, ad].map((d) => ({
    payloadHex: d?.detected ? d.payloadHex : null,
    payloadCrcRate: d?.payloadCrcRate,
  }));
  const trust = payloadTrust(payloadHex, confirmed || decidedBy === 'ledger', decodes);
  // Two marks that name different payloads, and no ledger to say which it issued: at least one
  // is a wrong list path, and nothing here tells which.
  const split = decodes.map((d) => d.payloadHex).filter((h): h is string => !!h);
  const disagree = trust.payloadCheck === 'crc' && new Set(split).size > 1;
  if (disagree) {
    payloadHex = null;
    reasons.push(
      `the picture and the sound decoded different payloads (${split.join(', ')}): only the ledger can tell which, if either, it issued`,
    );
  }
  const soundByIssued = byIssued?.source === 'sound' || byIssued?.source === 'picture+sound';
  return {
    detected,
    decidedBy,
    payloadHex,
    ...(disagree ? { payloadCheck: null, payloadCrcRate: null } : trust),
    pValue: decidedBy === 'ledger' ? byIssued!.pValue : pv,
    score: Math.max(vd?.score ?? 0, ad?.score ?? 0),
    reason: detected && !disagree ? undefined : reasons.join('; ') || 'no mark found',
    video,
    audio: ad
      ? {
          secondsUsed: ad.secondsUsed,
          detected: ad.detected || soundByIssued,
          payloadHex: soundByIssued ? byIssued!.payloadHex : ad.payloadHex,
          pValue: soundByIssued ? byIssued!.pValue : ad.pValue,
          speed: ad.speed,
          pitchKept: ad.pitchKept,
        }
      : null,
    skipped,
    candidates,
  };
}
