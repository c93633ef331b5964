/**
 * The jest transform (tests/jest/bind-globals-transform.js) binds Math and the typed arrays once
 * per module, so DSP loops do not pay the vm context's global lookups. These tests pin what it
 * must not change.
 */
describe('jest transform: globals bound per module', () => {
  it('binds the context’s own Math and typed arrays, so spies and instanceof still hold', () => {
    expect(Math).toBe(globalThis.Math);
    expect(new Float64Array(2)).toBeInstanceOf(globalThis.Float64Array);
    const spy = jest.spyOn(globalThis.Math, 'random').mockReturnValue(0.25);
    try {
      expect(Math.random()).toBe(0.25);
    } finally {
      spy.mockRestore();
    }
  });

  it('keeps line numbers, so stack traces point at the source', () => {
    const line = Number(/jest-transform\.test\.ts:(\d+)/.exec(new Error().stack ?? '')?.[1]);
    expect(line).toBe(19); // the line above
  });
});
