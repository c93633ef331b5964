import path from 'node:path';
import { z } from 'zod';
import { replySchema } from '../../../src/watermark/detection-schemas';
import { createLumaEmbedder, detectLuma } from '../../../src/watermark/luma';
import { startDetectionWorker } from '../../../src/watermark/worker-call';
import { startLumaDetector } from '../../../src/watermark/luma-off-thread';
import { syntheticFrame } from '../../../bench/watermark/frames';

const key = Buffer.alloc(32, 0x5a);
const payload = 'a1b2c3d4e5f60718';

function frame(w: number, h: number, seed: number): Uint8Array {
  return Uint8Array.from(syntheticFrame(w, h, seed).y);
}

describe('the picture-mark detection on its own thread', () => {
  it('answers what the in-thread detection answers, several frames in turn, and leaves the frames to the caller', async () => {
    const marked = frame(640, 480, 1);
    createLumaEmbedder(payload, key).embed(marked, 640, 480);
    const markedL = Float32Array.from(marked);
    const plainL = Float32Array.from(frame(640, 480, 2));
    const fallbacks: Error[] = [];
    const picture = startLumaDetector(key, (e) => fallbacks.push(e));
    try {
      const found = await picture.detect(markedL, 640, 480, { originPrior: true });
      expect(found).toEqual(detectLuma(markedL, 640, 480, key, { originPrior: true }));
      expect(found).toMatchObject({ detected: true, payloadHex: payload });
      const plain = await picture.detect(plainL, 640, 480, { originPrior: true });
      expect(plain).toEqual(detectLuma(plainL, 640, 480, key, { originPrior: true }));
      expect(plain).toMatchObject({ detected: false, payloadHex: null });
      // content it cannot read is "not detected" with a reason, not an error
      const small = await picture.detect(new Float32Array(64 * 64), 64, 64);
      expect(small).toMatchObject({ detected: false });
      expect(small.reason).toMatch(/smaller/);
    } finally {
      picture.close();
    }
    // the next detector takes the idle worker the first one left
    const next = startLumaDetector(key, (e) => fallbacks.push(e));
    try {
      expect(await next.detect(markedL, 640, 480, { originPrior: true })).toMatchObject({
        payloadHex: payload,
      });
    } finally {
      next.close();
    }
    expect(fallbacks).toEqual([]);
    expect(markedL.length).toBe(640 * 480);
  });

  it('still answers, on the calling thread, once its worker is gone', async () => {
    const marked = frame(640, 480, 3);
    createLumaEmbedder(payload, key).embed(marked, 640, 480);
    const fallbacks: Error[] = [];
    const picture = startLumaDetector(key, (e) => fallbacks.push(e));
    picture.close();
    const d = await picture.detect(Float32Array.from(marked), 640, 480, { originPrior: true });
    expect(d).toMatchObject({ detected: true, payloadHex: payload });
    expect(fallbacks.map((e) => e.message)).toEqual(['picture detection worker is closed']);
  });

  it('refuses a request when its worker cannot start, so that the caller runs the detection itself', async () => {
    const worker = startDetectionWorker(path.join(__dirname, 'no-such-entry.ts'), 'test detection');
    await expect(worker.request({}, replySchema(z.object({})), { timeoutMs: 30_000 })).rejects.toThrow();
    expect(worker.alive).toBe(false);
    worker.close();
  });
});
