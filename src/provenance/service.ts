/** The Provenance implementation over a Signer and the c2pa-rs engine, with error mapping to the service's errors. */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { AppError, Invalid, NotFound, PayloadTooLarge, Unavailable } from '../http/errors';
import { EngineStopped, readManifestStore, signAsset, type IngredientSource } from './c2pa-runtime';
import { coseSign1, reserveSizeFor } from './cose';
import { sniffFormat } from './format';
import type { ManifestInput, Provenance } from './index';
import { manifestDefinition, parseManifestInput } from './manifest';
import type { Signer } from './signer';
import { stripManifest } from './strip';
import { absentSummary, summarize, unreadableSummary } from './summary';
import type { ManifestSummary } from './types';

export const DEFAULT_MAX_BYTES = 200 * 1024 * 1024;

function generatorInfo(): { name: string; version: string } {
  // The project's package.json: two levels up from src/provenance, three from dist/src/provenance.
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(require.resolve(rel), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'consentry' && pkg.version) return { name: 'consentry', version: pkg.version };
    } catch {
      // try the next location
    }
  }
  return { name: 'consentry', version: '0.0.0' };
}

function errorText(e: unknown): string {
  return typeof e === 'string' ? e : e instanceof Error ? e.message : String(e);
}

/** A sentence-sized reason from c2pa-rs' debug-formatted error: failed codes, or the signer's own error. */
function describeSignError(e: unknown): string {
  const text = errorText(e);
  const failure = /failure: \[(.*?)\]/s.exec(text)?.[1];
  if (failure) {
    const codes = [...failure.matchAll(/code: "([^"]+)"/g)].map((m) => m[1]);
    if (codes.length) return `the signed result does not validate (${[...new Set(codes)].join(', ')})`;
  }
  const jsError = /JsValue\((?:\w*Error: )?([^\n)\\]*)/.exec(text)?.[1];
  if (jsError) return `the signer failed: ${jsError}`;
  return text.slice(0, 200);
}

/** c2pa-rs reports failures as `C2pa(Variant(...))` strings. */
function c2paErrorVariant(e: unknown): string {
  const text = errorText(e);
  return /C2pa\((\w+)/.exec(text)?.[1] ?? text.slice(0, 80);
}

function engineStopped(): Unavailable {
  return new Unavailable(
    'provenance_engine_stopped',
    'The Content Credentials engine stopped while processing this file; it has been restarted, try again.',
  );
}

const NO_MANIFEST = new Set(['JumbfNotFound', 'ProvenanceMissing', 'JumbfBoxNotFound']);
const BROKEN_MEDIA = new Set(['InvalidAsset', 'IoError', 'UnsupportedType', 'NotFound']);

export class SignerBackedProvenance implements Provenance {
  private readonly reserveSize: number;
  private readonly leaf: X509Certificate;

  constructor(
    private readonly signer: Signer,
    private readonly trustAnchorsPem: string,
    private readonly maxBytes: number,
    private readonly generator = generatorInfo(),
  ) {
    this.reserveSize = reserveSizeFor(signer);
    this.leaf = new X509Certificate(signer.certChainDer[0]);
  }

  private context(): string {
    return JSON.stringify({
      verify: { verify_trust: true, remote_manifest_fetch: false, ocsp_fetch: false },
      trust: this.trustAnchorsPem ? { trust_anchors: this.trustAnchorsPem } : {},
      builder: { thumbnail: { enabled: false } },
    });
  }

  private checkSize(n: number): void {
    if (n > this.maxBytes) {
      throw new PayloadTooLarge(
        'media_too_large',
        `The file is ${n} bytes; Content Credentials are read for files up to ${this.maxBytes} bytes.`,
      );
    }
  }

  async sign(bytes: Buffer, input: ManifestInput): Promise<Buffer> {
    this.checkSize(bytes.length);
    for (const ing of input.ingredients ?? []) this.checkSize(ing.bytes?.length ?? 0);
    return this.signUnlimited(bytes, input);
  }

  /** Signing without the upload size limit, for the start-up self-test. */
  async signUnlimited(bytes: Buffer, input: ManifestInput): Promise<Buffer> {
    const parsed = parseManifestInput(input);
    const format = sniffFormat(bytes);
    const ingredients: IngredientSource[] = (parsed.ingredients ?? []).map((ing) => {
      const fmt = sniffFormat(ing.bytes);
      return {
        json: JSON.stringify({ title: ing.title, relationship: 'inputTo', format: fmt }),
        format: fmt,
        bytes: ing.bytes,
      };
    });
    const reserveSize = this.reserveSize;
    const signer = this.signer;
    const definition = {
      alg: signer.alg.toLowerCase(),
      reserveSize,
      sign: async (claim: Uint8Array) => new Uint8Array(await coseSign1(signer, claim, reserveSize)),
    };
    try {
      const out = await signAsset(
        JSON.stringify(manifestDefinition(parsed, this.generator, format)),
        this.context(),
        ingredients,
        definition,
        format,
        bytes,
      );
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (e instanceof EngineStopped) throw engineStopped();
      const variant = c2paErrorVariant(e);
      if (BROKEN_MEDIA.has(variant))
        throw new Invalid(
          'media_corrupt',
          `The ${format} file could not be parsed for signing (${variant}).`,
        );
      throw new AppError(
        'provenance_sign_failed',
        `Signing the ${format} file failed: ${describeSignError(e)}.`,
        { c2paError: variant },
      );
    }
  }

  async signFile(inPath: string, outPath: string, input: ManifestInput): Promise<void> {
    const signed = await this.sign(await this.loadFile(inPath), input);
    // Written beside the target and renamed, so a reader never sees a half-written signed file.
    const tmp = `${outPath}.${process.pid}.${Date.now()}.tmp`;
    try {
      await fs.promises.writeFile(tmp, signed);
      await fs.promises.rename(tmp, outPath);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  }

  /** Checks the size on disk before anything is loaded. */
  private async loadFile(p: string): Promise<Buffer> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFound('media_not_found', `No file at ${p}.`);
      throw e;
    }
    if (!stat.isFile()) throw new Invalid('media_not_file', `${p} is not a regular file.`);
    this.checkSize(stat.size);
    return fs.promises.readFile(p);
  }

  async read(bytes: Buffer): Promise<ManifestSummary> {
    this.checkSize(bytes.length);
    return this.readUnlimited(bytes);
  }

  /** Reading without the upload size limit, for the start-up self-test. */
  async readUnlimited(bytes: Buffer): Promise<ManifestSummary> {
    return (await this.readWithStore(bytes)).summary;
  }

  /**
   * The summary and the manifest store as c2pa-rs reports it (JSON, null when there is none): the
   * ledger keeps the store so a stripped copy can be given back its Content Credentials.
   */
  async readFileWithStore(p: string): Promise<{ summary: ManifestSummary; storeJson: string | null }> {
    const bytes = await this.loadFile(p);
    return this.readWithStore(bytes);
  }

  private async readWithStore(
    bytes: Buffer,
  ): Promise<{ summary: ManifestSummary; storeJson: string | null }> {
    const summary = (s: ManifestSummary) => ({ summary: s, storeJson: null });
    const format = sniffFormat(bytes);
    let store;
    try {
      store = await readManifestStore(format, bytes, this.context());
    } catch (e) {
      if (e instanceof EngineStopped) throw engineStopped();
      const variant = c2paErrorVariant(e);
      if (NO_MANIFEST.has(variant)) return summary(absentSummary());
      if (BROKEN_MEDIA.has(variant))
        throw new Invalid(
          'media_corrupt',
          `The ${format} file is truncated or corrupt and cannot be read (${variant}).`,
        );
      return summary(unreadableSummary(`manifest.unreadable.${variant}`));
    }
    try {
      return { summary: summarize(store.json, store.crJson), storeJson: store.json };
    } catch {
      return summary(unreadableSummary('manifest.unreadable.json'));
    }
  }

  async readFile(p: string): Promise<ManifestSummary> {
    return this.read(await this.loadFile(p));
  }

  async stripManifest(bytes: Buffer): Promise<Buffer> {
    this.checkSize(bytes.length);
    return stripManifest(bytes);
  }

  signerInfo(): { subject: string; issuer: string; notAfter: string } {
    const dn = (s: string): string => s.split('\n').reverse().join(', ');
    return {
      subject: dn(this.leaf.subject),
      issuer: dn(this.leaf.issuer),
      notAfter: new Date(this.leaf.validTo).toISOString(),
    };
  }
}
