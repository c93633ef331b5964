/**
 * What signs a manifest. The local implementation holds a private key in memory; a KMS or HSM
 * implementation only has to provide the same three members.
 */
import crypto, { KeyObject, X509Certificate } from 'node:crypto';
import { AppError } from '../http/errors';

export type SigningAlg = 'ES256' | 'ES384' | 'ES512' | 'Ed25519';

export interface Signer {
  readonly alg: SigningAlg;
  /** Leaf first, then intermediates; the root is left out (verifiers hold it as a trust anchor). */
  readonly certChainDer: Buffer[];
  /** Signs `data`; ECDSA signatures are raw r||s (IEEE P1363), as COSE requires. */
  sign(data: Buffer): Promise<Buffer>;
}

const CURVE_ALG: Record<string, SigningAlg> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
const ALG_HASH: Record<SigningAlg, string | null> = {
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  Ed25519: null,
};

export function algForKey(key: KeyObject): SigningAlg {
  if (key.asymmetricKeyType === 'ed25519') return 'Ed25519';
  if (key.asymmetricKeyType === 'ec') {
    const alg = CURVE_ALG[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (alg) return alg;
  }
  throw new AppError(
    'provenance_key_unsupported',
    `The signing key type ${key.asymmetricKeyType ?? 'unknown'} is not supported; use an EC P-256/P-384/P-521 or Ed25519 key.`,
  );
}

export class LocalKeySigner implements Signer {
  readonly alg: SigningAlg;
  constructor(
    private readonly key: KeyObject,
    readonly certChainDer: Buffer[],
  ) {
    this.alg = algForKey(key);
  }
  async sign(data: Buffer): Promise<Buffer> {
    const hash = ALG_HASH[this.alg];
    return hash
      ? crypto.sign(hash, data, { key: this.key, dsaEncoding: 'ieee-p1363' })
      : crypto.sign(null, data, this.key);
  }
}

/**
 * Refuses a chain the verifiers would reject anyway: an expired or not yet valid leaf, a leaf not
 * issued by the next certificate, or (for local keys) a private key that is not the leaf's.
 */
export function assertUsableChain(
  chainDer: Buffer[],
  privateKey?: KeyObject,
  now = new Date(),
): X509Certificate {
  if (chainDer.length === 0)
    throw new AppError('provenance_chain_empty', 'The signing certificate chain is empty.');
  const certs = chainDer.map((d) => new X509Certificate(d));
  const leaf = certs[0];
  for (const c of certs) {
    if (new Date(c.validTo) <= now) {
      throw new AppError(
        'provenance_cert_expired',
        `The signing certificate "${c.subject.replace(/\n/g, ', ')}" expired on ${new Date(c.validTo).toISOString()}; renew it before starting.`,
      );
    }
    if (new Date(c.validFrom) > now) {
      throw new AppError(
        'provenance_cert_not_yet_valid',
        `The signing certificate "${c.subject.replace(/\n/g, ', ')}" is not valid before ${new Date(c.validFrom).toISOString()}.`,
      );
    }
  }
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!certs[i].verify(certs[i + 1].publicKey)) {
      throw new AppError(
        'provenance_chain_broken',
        `Certificate ${i + 1} of the signing chain is not issued by the certificate after it; list the chain leaf first.`,
      );
    }
  }
  if (leaf.ca)
    throw new AppError(
      'provenance_cert_is_ca',
      'The signing certificate is a CA certificate; C2PA requires an end-entity signing certificate.',
    );
  if (privateKey && !leaf.checkPrivateKey(privateKey)) {
    throw new AppError(
      'provenance_key_mismatch',
      'The configured private key does not match the signing certificate.',
    );
  }
  return leaf;
}
