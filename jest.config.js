/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['<rootDir>/tests/jest/bind-globals-transform.js', { diagnostics: false }] },
  testTimeout: 120000,
  maxWorkers: 2,
  // Native handles (onnxruntime, tfjs-wasm, worker threads) can outlive a suite; never let CI hang on them.
  forceExit: true,
};
