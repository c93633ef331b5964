import {
  DIFFERENT_PERSON_MIN_DISTANCE,
  faceDistance,
  isSamePerson,
  meanDescriptor,
  medianDescriptor,
  SAME_PERSON_MAX_DISTANCE,
} from '../../../src/faces/match';

describe('face descriptor matching', () => {
  it('computes euclidean distance between descriptors', () => {
    expect(faceDistance([0, 0, 0], [3, 4, 0])).toBeCloseTo(5);
    expect(faceDistance(new Float32Array(128), new Float32Array(128))).toBe(0);
  });

  it('refuses to compare descriptors of different lengths', () => {
    expect(() => faceDistance([1, 2], [1, 2, 3])).toThrow(/length/);
  });

  it('places the same-person threshold between the measured genuine (<=0.47) and impostor (>=0.70) distances', () => {
    expect(SAME_PERSON_MAX_DISTANCE).toBeGreaterThan(0.47);
    expect(SAME_PERSON_MAX_DISTANCE).toBeLessThan(0.7);
    expect(DIFFERENT_PERSON_MIN_DISTANCE).toBeGreaterThan(SAME_PERSON_MAX_DISTANCE);
    const a = new Float32Array(128);
    const b = new Float32Array(128);
    b[0] = 0.45;
    expect(isSamePerson(a, b)).toBe(true);
    b[0] = 0.72;
    expect(isSamePerson(a, b)).toBe(false);
  });

  it('averages and takes the element-wise median of descriptors', () => {
    expect(
      Array.from(
        meanDescriptor([
          [0, 2],
          [2, 4],
        ]),
      ),
    ).toEqual([1, 3]);
    expect(
      Array.from(
        medianDescriptor([
          [0, 9],
          [1, 1],
          [5, 2],
        ]),
      ),
    ).toEqual([1, 2]);
  });
});
