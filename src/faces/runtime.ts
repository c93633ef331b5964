import fs from 'node:fs';
import path from 'node:path';

/**
 * One lazily initialised face-api + tfjs (wasm backend) per process. Loading the wasm module and
 * the four weight files costs ~1 s; every caller (enrollment analysis, output scan, opt-out check)
 * shares the same instance.
 */
export type FaceApi = typeof import('@vladmandic/face-api');
export type Tf = typeof import('@tensorflow/tfjs');

export interface FaceRuntime {
  faceapi: FaceApi;
  tf: Tf;
}

let loading: Promise<FaceRuntime> | undefined;

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

async function load(): Promise<FaceRuntime> {
  // The node-wasm bundle re-exports @tensorflow/tfjs and the wasm backend from node_modules,
  // so it shares one tfjs engine with anything else that requires @tensorflow/tfjs.
  const faceapi = require(
    path.join(packageDir('@vladmandic/face-api'), 'dist/face-api.node-wasm.js'),
  ) as FaceApi;
  const tf = require('@tensorflow/tfjs') as Tf;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + path.sep);
  // Threads would need worker_threads plumbing the wasm build does not do in node; plain SIMD it is.
  wasm.setThreadsCount?.(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const modelDir = path.join(packageDir('@vladmandic/face-api'), 'model');
  if (!fs.existsSync(path.join(modelDir, 'ssd_mobilenetv1_model.bin'))) {
    throw new Error(`face-api weights missing in ${modelDir}`);
  }
  await Promise.all([
    faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir),
    faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir),
    faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir),
    faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir),
  ]);
  return { faceapi, tf };
}

export function faceRuntime(): Promise<FaceRuntime> {
  loading ??= load().catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}
