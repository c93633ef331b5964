import fs from 'node:fs';
import path from 'node:path';
import { runFfmpegWithProgress } from './ffmpeg-run';
import { planScene, type ScenePlan } from './scene-plan';
import { synthesizeSoundtrack } from './soundtrack';
import { backgroundPng, faceSprite, shapePng } from './sprites';
import type { RenderOptions, RenderRequest, RenderResult, VideoModel } from './types';

export const LOCAL_MODEL_FPS = 24;
const AUDIO_RATE = 48000;
/** The background is drawn larger than the frame so a moving crop pans over it. */
const BG_MARGIN = 1.25;

const f = (x: number) => x.toFixed(4);

/** Orbit expressions for ffmpeg's overlay filter (W,H: frame; w,h: sprite; t: seconds). */
function orbit(m: { cx: number; cy: number; rx: number; ry: number; periodSec: number; phase: number }): {
  x: string;
  y: string;
} {
  const w = `2*PI*t/${f(m.periodSec)}+${f(m.phase)}`;
  return {
    x: `W*${f(m.cx)}+W*${f(m.rx)}*sin(${w})-w/2`,
    y: `H*${f(m.cy)}+H*${f(m.ry)}*cos(${w})-h/2`,
  };
}

function filterGraph(plan: ScenePlan, req: RenderRequest, inputs: { shapes: number; faces: number }): string {
  const { width: W, height: H, durationSec } = req;
  const parts: string[] = [];
  const p = f(plan.panPeriodSec);
  const frames = Math.round(durationSec * LOCAL_MODEL_FPS);
  // The still is converted once and repeated; per-frame work is only the crop and the overlays.
  parts.push(
    `[0:v]format=yuv420p,loop=loop=${frames - 1}:size=1:start=0,setpts=N/${LOCAL_MODEL_FPS}/TB,` +
      `crop=${W}:${H}:x='(iw-${W})/2*(1+sin(2*PI*t/${p}))':y='(ih-${H})/2*(1+cos(2*PI*t/${p}))',setsar=1[v0]`,
  );
  let last = 'v0';
  let input = 1;
  let k = 1;
  for (let i = 0; i < inputs.shapes; i++, input++, k++) {
    const o = orbit(plan.shapes[i]!);
    parts.push(`[${last}][${input}:v]overlay=x='${o.x}':y='${o.y}':eval=frame[v${k}]`);
    last = `v${k}`;
  }
  for (let i = 0; i < inputs.faces; i++, input++, k++) {
    const o = orbit(plan.faceMotion[i]!);
    parts.push(`[${last}][${input}:v]overlay=x='${o.x}':y='${o.y}':eval=frame[v${k}]`);
    last = `v${k}`;
  }
  parts.push(`[${last}]format=yuv420p,trim=duration=${f(durationSec)}[vout]`);
  return parts.join(';');
}

/**
 * The built-in model: a real H.264/AAC MP4 of the requested size and length, an animated scene
 * shaped by the prompt with each cameo's reference face composited and moving, and a synthesised
 * soundtrack. sharp draws a handful of stills; ffmpeg animates them in one pass. Deterministic for
 * a seed: the plan comes from a seeded PRNG and the encoder runs bit-exact.
 */
export function createLocalModel(): VideoModel {
  return {
    name: 'consentry-local-scene',
    version: '1.0.0',
    async render(req: RenderRequest, opts: RenderOptions): Promise<RenderResult> {
      const plan = planScene(req.prompt, req.seed, req.cameos.length);
      const { width: W, height: H } = req;
      const short = Math.min(W, H);
      const dir = opts.workDir;
      await fs.promises.mkdir(dir, { recursive: true });
      const bgPath = path.join(dir, 'bg.png');
      await fs.promises.writeFile(
        bgPath,
        await backgroundPng(plan, Math.round(W * BG_MARGIN), Math.round(H * BG_MARGIN)),
      );
      const args: string[] = ['-y', '-i', bgPath];
      for (const [i, s] of plan.shapes.entries()) {
        const p = path.join(dir, `shape-${i}.png`);
        await fs.promises.writeFile(p, await shapePng(s, Math.max(8, Math.round(s.size * short))));
        args.push('-i', p);
      }
      const facePx = Math.round(Math.min(short * 0.5, (W * 0.8) / Math.max(1, req.cameos.length)));
      for (const [i, c] of req.cameos.entries()) {
        const p = path.join(dir, `face-${i}.png`);
        await fs.promises.writeFile(p, await faceSprite(c.referenceImageJpeg, facePx & ~1));
        args.push('-i', p);
      }
      const pcm = synthesizeSoundtrack(plan.music, req.durationSec, AUDIO_RATE);
      const audioPath = path.join(dir, 'audio.f32');
      await fs.promises.writeFile(audioPath, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
      const audioInput = 1 + plan.shapes.length + req.cameos.length;
      args.push('-f', 'f32le', '-ar', String(AUDIO_RATE), '-ac', '2', '-i', audioPath);
      const out = path.join(dir, 'render.mp4');
      args.push(
        '-filter_complex',
        filterGraph(plan, req, { shapes: plan.shapes.length, faces: req.cameos.length }),
        '-map',
        '[vout]',
        '-map',
        `${audioInput}:a`,
        '-r',
        String(LOCAL_MODEL_FPS),
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-crf',
        '20',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-b:a',
        '128k',
        '-ar',
        String(AUDIO_RATE),
        '-t',
        f(req.durationSec),
        '-fflags',
        '+bitexact',
        '-flags:v',
        '+bitexact',
        '-flags:a',
        '+bitexact',
        '-map_metadata',
        '-1',
        '-movflags',
        '+faststart',
        out,
      );
      await runFfmpegWithProgress(args, req.durationSec, {
        signal: opts.signal,
        onProgress: opts.onProgress,
      });
      return { path: out, mimeType: 'video/mp4' };
    },
  };
}
