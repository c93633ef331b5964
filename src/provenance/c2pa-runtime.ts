/**
 * The one place that knows how `@contentauth/c2pa-wasm` (c2pa-rs built for the browser) is made
 * to run in Node. The package is an ES module built for the web target; this project is CommonJS
 * under ts-jest and tsx, and jest cannot `import()` ES modules without a VM flag. The glue file has
 * no imports of its own, so it is evaluated here as a function body with its `export` keywords
 * removed. That also lets the browser APIs it expects (`FileReaderSync`, a Blob-like source) be
 * passed in as parameters instead of being put on `globalThis`, and lets a fresh instance be made
 * whenever the previous one trapped (a Rust panic leaves a wasm-bindgen instance unusable).
 */
import fs from 'node:fs';
import path from 'node:path';

/** The minimal Blob the glue reads through `size`, `slice()` and `FileReaderSync`. */
export class ByteBlob {
  constructor(readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.byteLength;
  }
  slice(start?: number, end?: number): ByteBlob {
    return new ByteBlob(this.bytes.subarray(start ?? 0, end ?? this.bytes.byteLength));
  }
}

class NodeFileReaderSync {
  readAsArrayBuffer(blob: ByteBlob): ArrayBuffer {
    const b = blob.bytes;
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
}

export interface SignerDefinition {
  alg: string;
  reserveSize: number;
  sign(bytes: Uint8Array): Promise<Uint8Array>;
}

interface WasmReaderLike {
  json(): string;
  crJson(): string;
  free(): void;
}
interface WasmBuilderLike {
  addIngredientFromBlob(json: string, format: string, blob: ByteBlob): Promise<void>;
  addIngredient(json: string): void;
  sign(signer: SignerDefinition, identityAssertions: unknown[], format: string, source: ByteBlob): Promise<Uint8Array>;
  free(): void;
}
interface C2paExports {
  initSync(arg: { module: WebAssembly.Module }): { memory: WebAssembly.Memory };
  WasmReader: { fromBytes(format: string, bytes: Uint8Array, contextJson?: string | null): Promise<WasmReaderLike> };
  WasmBuilder: { fromJson(json: string, contextJson?: string | null): WasmBuilderLike };
}

let source: string | undefined;
let compiled: WebAssembly.Module | undefined;
let current: { api: C2paExports; memory: WebAssembly.Memory } | undefined;

function packageDir(): string {
  return path.dirname(require.resolve('@contentauth/c2pa-wasm/package.json'));
}

function loadGlueSource(): string {
  if (source) return source;
  const raw = fs.readFileSync(path.join(packageDir(), 'pkg', 'c2pa.js'), 'utf8');
  const body = raw
    .replace(/^export \{[^}]*\};?\s*$/gm, '')
    .replace(/^export (class|function|const|let|async function) /gm, '$1 ');
  if (/^\s*(export|import)\s/m.test(body)) throw new Error('c2pa-wasm glue has an unexpected module statement');
  source = body;
  return body;
}

function instantiate(): { api: C2paExports; memory: WebAssembly.Memory } {
  compiled ??= new WebAssembly.Module(fs.readFileSync(path.join(packageDir(), 'pkg', 'c2pa_bg.wasm')));
  // `module.require` is how getrandom finds node:crypto when it detects Node.
  const factory = new Function(
    'FileReaderSync',
    'module',
    `'use strict';\n${loadGlueSource()}\nreturn { initSync, WasmReader, WasmBuilder };`,
  ) as (frs: unknown, mod: unknown) => C2paExports;
  const api = factory(NodeFileReaderSync, { require: (id: string) => require(id) as unknown });
  const out = api.initSync({ module: compiled });
  return { api, memory: out.memory };
}

/** Large inputs grow linear memory, which never shrinks; past this a fresh instance is cheaper. */
const RECYCLE_MEMORY_BYTES = 1024 * 1024 * 1024;

function runtime(): C2paExports {
  if (current && current.memory.buffer.byteLength > RECYCLE_MEMORY_BYTES) current = undefined;
  current ??= instantiate();
  return current.api;
}

/** A trap (panic, out of bounds, out of memory) poisons the instance: drop it so the next call gets a new one. */
function isTrap(e: unknown): boolean {
  return e instanceof WebAssembly.RuntimeError || (e instanceof RangeError && /memory|allocation/i.test(e.message));
}

// c2pa calls are serialised: the glue keeps per-instance scratch state and a reset between
// overlapping async calls would hit the other call's objects.
let queue: Promise<unknown> = Promise.resolve();

async function exclusive<T>(fn: (api: C2paExports) => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    const api = runtime();
    try {
      return await fn(api);
    } catch (e) {
      if (isTrap(e)) current = undefined;
      throw e;
    }
  });
  queue = run.catch(() => undefined);
  return run;
}

export interface ManifestStoreJson {
  /** c2pa-rs' manifest store JSON (manifests, validation results and state). */
  json: string;
  /** The same store as crJSON, which also carries the signing certificate's names. */
  crJson: string | null;
}

/** Reads the manifest store of an asset. Rejects with c2pa-rs' error text (a string) when it cannot. */
export function readManifestStore(format: string, bytes: Uint8Array, contextJson: string): Promise<ManifestStoreJson> {
  return exclusive(async (api) => {
    const reader = await api.WasmReader.fromBytes(format, bytes, contextJson);
    try {
      let crJson: string | null = null;
      try {
        crJson = reader.crJson();
      } catch {
        // crJSON is only used for certificate names; the summary falls back to signature_info.
      }
      return { json: reader.json(), crJson };
    } finally {
      reader.free();
    }
  });
}

export interface IngredientSource {
  json: string;
  format?: string;
  bytes?: Uint8Array;
}

/** Builds a manifest from its definition, adds ingredients and embeds it signed into the asset. */
export function signAsset(
  manifestJson: string,
  contextJson: string,
  ingredients: IngredientSource[],
  signer: SignerDefinition,
  format: string,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  return exclusive(async (api) => {
    const builder = api.WasmBuilder.fromJson(manifestJson, contextJson);
    try {
      for (const ing of ingredients) {
        if (ing.bytes && ing.format) await builder.addIngredientFromBlob(ing.json, ing.format, new ByteBlob(ing.bytes));
        else builder.addIngredient(ing.json);
      }
      return await builder.sign(signer, [], format, new ByteBlob(bytes));
    } finally {
      builder.free();
    }
  });
}

/** Compiles and instantiates the engine now, so the first request does not pay for it. */
export function warmUp(): Promise<void> {
  return exclusive(async () => undefined);
}

/** For tests: forces the next call onto a fresh instance. */
export function resetRuntime(): void {
  current = undefined;
}
