/**
 * Content Credentials: signs the service's outputs with a C2PA manifest and reads and validates
 * the manifest of any asset. The c2pa-rs engine runs as WebAssembly (see c2pa-runtime.ts).
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { AppError } from '../http/errors';
import { warmUp } from './c2pa-runtime';
import {
  loadConfiguredIdentity,
  loadOrCreateDevIdentity,
  splitPemCertificates,
  type SigningIdentity,
} from './identity';
import { minimalMp4, noisePng } from './self-test';
import { DEFAULT_MAX_BYTES, SignerBackedProvenance } from './service';
import { assertUsableChain, type Signer } from './signer';
import type { ManifestSummary } from './types';

export type { ManifestSummary, TrainingMiningSummary, Verdict } from './types';
export type { Signer, SigningAlg } from './signer';
export { LocalKeySigner } from './signer';
export { sniffFormat, type MediaFormat } from './format';

export interface ProvenanceOptions {
  dataDir: string;
  certChainPath?: string;
  privateKeyPath?: string;
  trustAnchorsPath?: string;
  maxBytes?: number;
  logger: { info(o: any, m?: string): void; warn(o: any, m?: string): void };
}

export interface ManifestInput {
  title?: string;
  generationId: string;
  model: { name: string; version: string };
  cameoRefs: string[];
  softBinding?: { alg: string; payloadHex: string };
  ingredients?: { title: string; bytes: Buffer; mimeType?: string }[];
  createdAt?: Date;
}

export interface Provenance {
  sign(bytes: Buffer, input: ManifestInput): Promise<Buffer>;
  signFile(inPath: string, outPath: string, input: ManifestInput): Promise<void>;
  read(bytes: Buffer): Promise<ManifestSummary>;
  readFile(path: string): Promise<ManifestSummary>;
  /** The summary plus c2pa-rs' manifest store JSON (null when the file has no manifest). */
  readFileWithStore(path: string): Promise<{ summary: ManifestSummary; storeJson: string | null }>;
  stripManifest?(bytes: Buffer): Promise<Buffer>;
  signerInfo(): { subject: string; issuer: string; notAfter: string };
}

export { DEFAULT_MAX_BYTES } from './service';

function loadTrustAnchors(identity: SigningIdentity, trustAnchorsPath?: string): string {
  const pems: string[] = [];
  if (identity.ownRootPem) pems.push(identity.ownRootPem);
  if (trustAnchorsPath) {
    let bundle: string;
    try {
      bundle = fs.readFileSync(trustAnchorsPath, 'utf8');
    } catch (e) {
      throw new AppError(
        'provenance_config',
        `Cannot read the trust anchors at ${trustAnchorsPath}: ${(e as Error).message}.`,
      );
    }
    const certs = splitPemCertificates(bundle);
    if (certs.length === 0)
      throw new AppError(
        'provenance_config',
        `No PEM certificate found in the trust anchors at ${trustAnchorsPath}.`,
      );
    pems.push(...certs.map((d) => new X509Certificate(d).toString()));
  }
  return pems.join('\n');
}

/** Builds the service's provenance from configuration; throws an AppError with a sentence when it cannot start safely. */
export async function createProvenance(opts: ProvenanceOptions): Promise<Provenance> {
  if (!!opts.certChainPath !== !!opts.privateKeyPath) {
    throw new AppError(
      'provenance_config',
      'Configure both the signing certificate chain and the private key, or neither for a development key.',
    );
  }
  const identity =
    opts.certChainPath && opts.privateKeyPath
      ? loadConfiguredIdentity(opts.certChainPath, opts.privateKeyPath)
      : loadOrCreateDevIdentity(opts.dataDir, opts.logger);
  return createProvenanceWithSigner(identity.signer, {
    ...opts,
    ownRootPem: identity.ownRootPem,
    logger: opts.logger,
  });
}

/** For a KMS or HSM signer: the chain is checked (dates, issuance) but there is no key to compare. */
export async function createProvenanceWithSigner(
  signer: Signer,
  opts: Pick<ProvenanceOptions, 'trustAnchorsPath' | 'maxBytes'> & {
    ownRootPem?: string | null;
    logger?: ProvenanceOptions['logger'];
  },
): Promise<Provenance> {
  assertUsableChain(signer.certChainDer);
  const anchors = loadTrustAnchors({ signer, ownRootPem: opts.ownRootPem ?? null }, opts.trustAnchorsPath);
  await warmUp();
  const prov = new SignerBackedProvenance(signer, anchors, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  await selfTest(prov, opts.logger);
  return prov;
}

/** Signs and reads back a generated image; a signer that cannot produce a valid manifest stops the start. */
async function selfTest(prov: SignerBackedProvenance, logger?: ProvenanceOptions['logger']): Promise<void> {
  const input = {
    generationId: 'startup-self-test',
    model: { name: 'consentry', version: 'self-test' },
    cameoRefs: [],
  };
  let summary: ManifestSummary;
  try {
    summary = await prov.readUnlimited(await prov.signUnlimited(noisePng(192, 192), input));
    if (summary.validationState === 'valid')
      summary = await prov.readUnlimited(await prov.signUnlimited(minimalMp4(256 * 1024), input));
  } catch (e) {
    throw new AppError(
      'provenance_self_test_failed',
      `The signer could not sign a test asset at start: ${(e as Error).message}`,
    );
  }
  if (summary.validationState !== 'valid') {
    throw new AppError(
      'provenance_self_test_failed',
      `A test asset signed at start does not validate (${summary.failureCodes.join(', ')}); check the certificate chain and key.`,
    );
  }
  if (!summary.trusted) {
    logger?.warn(
      { signer: prov.signerInfo() },
      'The signing certificate does not chain to a configured trust anchor: outputs will read as valid but untrusted; add its root to the trust anchors',
    );
  }
}
