import { faceRuntime } from '../../src/faces/runtime';
import { probeRecording, decodeFrames } from '../../src/consent/analysis/decode';
import { trackFaces } from '../../src/consent/analysis/track';
import { yawRatio, pitchRatio, eyeAspectRatio, mouthOpening, planarResidual, affineResidual } from '../../src/faces/geometry';
async function main() {
  const rt = await faceRuntime();
  for (const p of process.argv.slice(2)) {
    const info = await probeRecording(p);
    let s = Date.now();
    const v = await decodeFrames(p, info, 8);
    const td = Date.now() - s; s = Date.now();
    const obs = await trackFaces(rt, v);
    console.log(p, info, 'decode', td, 'track', Date.now() - s, 'frames', v.frames.length);
    let prev: any;
    for (const o of obs) {
      const lm = o.landmarks;
      if (!lm) { console.log(o.t.toFixed(2), 'none', o.faceCount); prev = undefined; continue; }
      console.log(o.t.toFixed(2), o.faceCount ?? '-', 'yaw', yawRatio(lm).toFixed(2), 'pit', pitchRatio(lm).toFixed(2), 'ear', eyeAspectRatio(lm).toFixed(2), 'mouth', mouthOpening(lm).toFixed(2), prev ? 'planar ' + planarResidual(prev, lm).toFixed(3) + ' aff ' + affineResidual(prev, lm).toFixed(3) : '');
      prev = lm;
    }
  }
}
main();
