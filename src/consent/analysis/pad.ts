import fs from 'node:fs';
import path from 'node:path';
import type { GraphModel } from '@tensorflow/tfjs';
import type { Tensor3D } from '@tensorflow/tfjs';
import type { FaceRuntime } from '../../faces/runtime';
import type { Box } from '../../faces/types';

/**
 * Passive presentation-attack models shipped with @vladmandic/human: `antispoof` (real vs
 * manipulated face, 128x128) and `liveness` (LivenessNet trained on replay attacks, 32x32). Both
 * output "how real" in 0..1. Loaded from memory: the wasm build of tfjs has no file:// loader.
 */
export interface PadScores {
  antispoof: number;
  liveness: number;
}

/** The package's exports map hides package.json and models/, so look for the folder on the resolve paths. */
function humanModelDir(): string {
  for (const base of require.resolve.paths('@vladmandic/human') ?? []) {
    const dir = path.join(base, '@vladmandic', 'human', 'models');
    if (fs.existsSync(path.join(dir, 'antispoof.json'))) return dir;
  }
  throw new Error('@vladmandic/human models folder not found');
}

let models: Promise<{ antispoof: GraphModel; liveness: GraphModel }> | undefined;

async function loadGraph(rt: FaceRuntime, name: string): Promise<GraphModel> {
  const dir = humanModelDir();
  const json = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as {
    modelTopology: unknown;
    weightsManifest: { paths: string[]; weights: unknown[] }[];
  };
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const bins = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const all = Buffer.concat(bins);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
  return rt.tf.loadGraphModel(
    rt.tf.io.fromMemory({
      modelTopology: json.modelTopology as never,
      weightSpecs: specs as never,
      weightData,
    }),
  );
}

/** Loads both models once per thread (the analysis worker calls it at start). */
export function padModels(rt: FaceRuntime) {
  models ??= Promise.all([loadGraph(rt, 'antispoof'), loadGraph(rt, 'liveness')]).then(
    ([antispoof, liveness]) => ({
      antispoof,
      liveness,
    }),
  );
  return models;
}

/** Scores the face in `box` of the frame. Human feeds these models a 0..1 RGB face crop. */
export async function padScores(rt: FaceRuntime, frame: Tensor3D, box: Box): Promise<PadScores> {
  const m = await padModels(rt);
  const { tf } = rt;
  const [h, w] = frame.shape;
  const x = Math.max(0, Math.round(box.x));
  const y = Math.max(0, Math.round(box.y));
  const bw = Math.max(1, Math.min(w - x, Math.round(box.width)));
  const bh = Math.max(1, Math.min(h - y, Math.round(box.height)));
  const [a, l] = tf.tidy(() => {
    const face = tf.slice(frame, [y, x, 0], [bh, bw, 3]).toFloat().div(255).expandDims(0) as never;
    const a128 = tf.image.resizeBilinear(face, [128, 128]);
    const a32 = tf.image.resizeBilinear(face, [32, 32]);
    return [m.antispoof.execute(a128) as never, m.liveness.execute(a32) as never] as [
      import('@tensorflow/tfjs').Tensor,
      import('@tensorflow/tfjs').Tensor,
    ];
  });
  const [ad, ld] = await Promise.all([a.data(), l.data()]);
  a.dispose();
  l.dispose();
  return { antispoof: ad[0]!, liveness: ld[0]! };
}
