/**
 * The one place that knows how `@contentauth/c2pa-wasm` (c2pa-rs built for the browser) is made
 * to run in Node.
 *
 * - Loading: the package is an ES module built for the web target; this project is CommonJS
 *   under ts-jest and tsx, and jest cannot `import()` ES modules without a VM flag. The glue file
 *   has no imports of its own, so it is evaluated as a function body with its `export` keywords
 *   removed, and given the compiled wasm through `initSync`.
 * - Browser APIs: the glue reads sources as Blobs through `FileReaderSync`. A byte-backed Blob and
 *   a FileReaderSync are passed in as parameters, so nothing is put on `globalThis`.
 * - Isolation: c2pa-rs runs in a worker thread. Hashing a large clip does not block the event
 *   loop, a trap or an out-of-memory abort kills only the worker (the next call gets a fresh one),
 *   and the wasm memory a large file grew is returned to the system when the worker is recycled.
 * - Signing: the worker asks this thread to sign the claim bytes, so the Signer (a local key, a
 *   KMS or an HSM client) lives here and never crosses into the worker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface SignerDefinition {
  alg: string;
  reserveSize: number;
  sign(bytes: Uint8Array): Promise<Uint8Array>;
}

export interface ManifestStoreJson {
  /** c2pa-rs' manifest store JSON (manifests, validation results and state). */
  json: string;
  /** The same store as crJSON, which also carries the signing certificate's names. */
  crJson: string | null;
}

export interface IngredientSource {
  json: string;
  format?: string;
  bytes?: Uint8Array;
}

/** Runs inside the worker; plain JavaScript so that no transpiler helper ends up in it. */
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

class ByteBlob {
  constructor(bytes) { this.bytes = bytes; }
  get size() { return this.bytes.byteLength; }
  slice(start, end) { return new ByteBlob(this.bytes.subarray(start ?? 0, end ?? this.bytes.byteLength)); }
}
class FileReaderSync {
  readAsArrayBuffer(blob) {
    const b = blob.bytes;
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  }
}

const factory = new Function('FileReaderSync', 'module', "'use strict';\n" + workerData.glue + '\nreturn { initSync, WasmReader, WasmBuilder };');
const api = factory(FileReaderSync, { require: (id) => require(id) });
const wasmExports = api.initSync({ module: workerData.wasm });

const pendingSigns = new Map();
let nextSignId = 1;

function errorText(e) {
  if (typeof e === 'string') return e;
  if (e && typeof e.message === 'string') return e.message;
  return String(e);
}

async function read(msg) {
  const reader = await api.WasmReader.fromBytes(msg.format, msg.bytes, msg.context);
  try {
    let crJson = null;
    try { crJson = reader.crJson(); } catch { /* only used for certificate names */ }
    return { json: reader.json(), crJson };
  } finally {
    reader.free();
  }
}

async function sign(msg) {
  const builder = api.WasmBuilder.fromJson(msg.manifest, msg.context);
  try {
    for (const ing of msg.ingredients) {
      if (ing.bytes && ing.format) await builder.addIngredientFromBlob(ing.json, ing.format, new ByteBlob(ing.bytes));
      else builder.addIngredient(ing.json);
    }
    const signer = {
      alg: msg.alg,
      reserveSize: msg.reserveSize,
      sign: (claim) => new Promise((resolve, reject) => {
        const signId = nextSignId++;
        pendingSigns.set(signId, { resolve, reject });
        parentPort.postMessage({ type: 'sign', id: msg.id, signId, claim });
      }),
    };
    return await builder.sign(signer, [], msg.format, new ByteBlob(msg.bytes));
  } finally {
    builder.free();
  }
}

parentPort.on('message', async (msg) => {
  if (msg.type === 'signed') {
    const p = pendingSigns.get(msg.signId);
    pendingSigns.delete(msg.signId);
    if (!p) return;
    if (msg.error !== undefined) p.reject(new Error(msg.error));
    else p.resolve(msg.cose);
    return;
  }
  try {
    const result = msg.type === 'read' ? await read(msg) : msg.type === 'build' ? await sign(msg) : null;
    parentPort.postMessage({ type: 'done', id: msg.id, result, memory: wasmExports.memory.buffer.byteLength });
  } catch (e) {
    // A wasm trap leaves this instance unusable: report it and let the parent replace the worker.
    const trapped = e instanceof WebAssembly.RuntimeError;
    parentPort.postMessage({ type: 'done', id: msg.id, error: errorText(e), trapped });
  }
});
parentPort.postMessage({ type: 'ready' });
`;

interface Job {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  signer?: SignerDefinition;
}

/** The worker died (killed, out of memory, crashed) while a call was in flight. */
export class EngineStopped extends Error {}

interface EngineWorker {
  w: Worker;
  ready: Promise<void>;
  jobs: Map<number, Job>;
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'sign'; id: number; signId: number; claim: Uint8Array }
  | { type: 'done'; id: number; result?: unknown; error?: string; trapped?: boolean; memory?: number };

/** Large inputs grow the worker's wasm memory, which never shrinks; past this the worker is replaced. */
const RECYCLE_MEMORY_BYTES = 768 * 1024 * 1024;

let glue: string | undefined;
let compiled: WebAssembly.Module | undefined;
let worker: EngineWorker | undefined;
let nextJobId = 1;

function packageDir(): string {
  return path.dirname(require.resolve('@contentauth/c2pa-wasm/package.json'));
}

function loadGlue(): string {
  if (glue) return glue;
  const raw = fs.readFileSync(path.join(packageDir(), 'pkg', 'c2pa.js'), 'utf8');
  const body = raw
    .replace(/^export \{[^}]*\};?\s*$/gm, '')
    .replace(/^export (class|function|const|let|async function) /gm, '$1 ');
  if (/^\s*(export|import)\s/m.test(body))
    throw new Error('c2pa-wasm glue has an unexpected module statement');
  glue = body;
  return body;
}

function dropWorker(ew: EngineWorker): void {
  if (worker === ew) worker = undefined;
  void ew.w.terminate();
}

function startWorker(): EngineWorker {
  // Compiled once per process (the biggest start-up cost) and shared with every worker.
  compiled ??= new WebAssembly.Module(fs.readFileSync(path.join(packageDir(), 'pkg', 'c2pa_bg.wasm')));
  const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { glue: loadGlue(), wasm: compiled } });
  w.unref();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const ew: EngineWorker = { w, ready, jobs: new Map() };
  const jobs = ew.jobs;
  w.on('message', (msg: FromWorker) => {
    if (msg.type === 'ready') return markReady();
    const job = jobs.get(msg.id);
    if (msg.type === 'sign') {
      const reply = (m: { cose?: Uint8Array; error?: string }): void =>
        w.postMessage({ type: 'signed', signId: msg.signId, ...m });
      if (!job?.signer) return reply({ error: 'no signer for this job' });
      job.signer.sign(msg.claim).then(
        (cose) => reply({ cose }),
        (e: unknown) => reply({ error: e instanceof Error ? e.message : String(e) }),
      );
      return;
    }
    if (!job) return;
    jobs.delete(msg.id);
    if (msg.trapped || (msg.memory ?? 0) > RECYCLE_MEMORY_BYTES) dropWorker(ew);
    if (jobs.size === 0) w.unref();
    if (msg.error !== undefined) job.reject(msg.error);
    else job.resolve(msg.result);
  });
  const onDeath = (why: string): void => {
    if (worker === ew) worker = undefined;
    for (const job of jobs.values()) job.reject(new EngineStopped(`The c2pa worker stopped (${why})`));
    jobs.clear();
    markReady();
  };
  w.on('error', (e) => onDeath(e.message));
  w.on('exit', (code) => onDeath(`exit code ${code}`));
  return ew;
}

// One call at a time: a call's signer round-trips must not interleave with another call's.
let queue: Promise<unknown> = Promise.resolve();

/** Time allowed for one call: generous, but a hung engine or signer must not block every later call. */
export function defaultTimeoutMs(bytes: number): number {
  return 30_000 + Math.ceil(bytes / (1024 * 1024)) * 500;
}

function call<T>(
  message: Record<string, unknown>,
  timeoutMs: number,
  signer?: SignerDefinition,
  transfer: ArrayBuffer[] = [],
): Promise<T> {
  const run = queue.then(async () => {
    worker ??= startWorker();
    const current = worker;
    await current.ready;
    if (worker !== current) throw new EngineStopped('The c2pa worker stopped while starting');
    const id = nextJobId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Rejected here, not by the exit handler, so the reason says what happened.
        current.jobs.delete(id);
        reject(new EngineStopped(`The c2pa call did not finish within ${timeoutMs} ms`));
        dropWorker(current);
      }, timeoutMs);
      timer.unref();
      const settle =
        <A>(fn: (a: A) => void) =>
        (a: A): void => {
          clearTimeout(timer);
          fn(a);
        };
      current.jobs.set(id, {
        resolve: settle(resolve as (v: unknown) => void),
        reject: settle(reject),
        signer,
      });
      current.w.ref();
      current.w.postMessage({ ...message, id }, transfer);
    });
  });
  queue = run.catch(() => undefined);
  return run;
}

/** A private copy whose buffer can be moved to the worker without a second copy. */
function movable(bytes: Uint8Array): { view: Uint8Array; buffer: ArrayBuffer } {
  const view = new Uint8Array(bytes.byteLength);
  view.set(bytes);
  return { view, buffer: view.buffer };
}

/** Reads the manifest store of an asset. Rejects with c2pa-rs' error text (a string) when it cannot. */
export function readManifestStore(
  format: string,
  bytes: Uint8Array,
  contextJson: string,
  timeoutMs = defaultTimeoutMs(bytes.byteLength),
): Promise<ManifestStoreJson> {
  const m = movable(bytes);
  return call<ManifestStoreJson>(
    { type: 'read', format, bytes: m.view, context: contextJson },
    timeoutMs,
    undefined,
    [m.buffer],
  );
}

/** Builds a manifest from its definition, adds ingredients and embeds it signed into the asset. */
export function signAsset(
  manifestJson: string,
  contextJson: string,
  ingredients: IngredientSource[],
  signer: SignerDefinition,
  format: string,
  bytes: Uint8Array,
  timeoutMs = defaultTimeoutMs(bytes.byteLength),
): Promise<Uint8Array> {
  const m = movable(bytes);
  return call<Uint8Array>(
    {
      type: 'build',
      manifest: manifestJson,
      context: contextJson,
      ingredients,
      alg: signer.alg,
      reserveSize: signer.reserveSize,
      format,
      bytes: m.view,
    },
    timeoutMs,
    signer,
    [m.buffer],
  );
}

/** Compiles the engine and starts its worker now, so the first request does not pay for it. */
export function warmUp(): Promise<void> {
  return queue.then(async () => {
    worker ??= startWorker();
    await worker.ready;
  });
}

/** Stops the worker (tests use it to prove the next call recovers); pending calls are rejected. */
export async function resetRuntime(): Promise<void> {
  const current = worker;
  worker = undefined;
  if (current) await current.w.terminate();
}
