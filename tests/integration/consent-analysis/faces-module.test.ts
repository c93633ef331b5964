import fs from 'node:fs';
import {
  decodeImage,
  detectFaces,
  DIFFERENT_PERSON_MIN_DISTANCE,
  faceDistance,
  SAME_PERSON_MAX_DISTANCE,
} from '../../../src/faces';
import { grabFrame, TALKING_A, workDir } from '../../../bench/consent/attacks';
import { fixture } from '../../helpers/fixtures';

jest.setTimeout(300000);

describe('shared face module on real photographs', () => {
  const read = (n: string) => fs.readFileSync(fixture('faces', n));

  it('finds one face with 68 landmarks and a 128-d descriptor, and matches the same person across photos', async () => {
    const [o1, o2, b1] = await Promise.all(
      ['obama-1.jpg', 'obama-2.jpg', 'biden-1.jpg'].map(async (n) => detectFaces(read(n))),
    );
    for (const faces of [o1, o2, b1]) {
      expect(faces).toHaveLength(1);
      expect(faces![0]!.landmarks68).toHaveLength(68);
      expect(faces![0]!.descriptor).toHaveLength(128);
    }
    expect(faceDistance(o1![0]!.descriptor, o2![0]!.descriptor)).toBeLessThan(SAME_PERSON_MAX_DISTANCE);
    expect(faceDistance(o1![0]!.descriptor, b1![0]!.descriptor)).toBeGreaterThan(
      DIFFERENT_PERSON_MIN_DISTANCE,
    );
  });

  it('finds a selfie close-up with the padded tiny detector, from raw RGB', async () => {
    const dir = workDir('faces-');
    try {
      const rgb = await decodeImage(fs.readFileSync(await grabFrame(dir, TALKING_A, 3)));
      const faces = await detectFaces(rgb, { detector: 'tiny', descriptors: false });
      expect(faces).toHaveLength(1);
      expect(faces[0]!.box.width).toBeGreaterThan(rgb.width * 0.3);
      expect(faces[0]!.descriptor).toHaveLength(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds no face in a photograph of coffee', async () => {
    expect(await detectFaces(fs.readFileSync(fixture('media', 'coffee.png')))).toEqual([]);
  });
});
