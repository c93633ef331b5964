/**
 * Where the signing identity comes from: configured chain and key files in production, or a
 * development CA and signing certificate created once in the data folder.
 */
import crypto, { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../http/errors';
import { issueCa, issueSigningCertificate } from './certificates';
import { assertUsableChain, LocalKeySigner, type Signer } from './signer';

export interface SigningIdentity {
  signer: Signer;
  /** PEM of the service's own root, trusted by default when verifying. */
  ownRootPem: string | null;
}

export function splitPemCertificates(pem: string): Buffer[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b).raw);
}

function readFileOrFail(p: string, what: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw new AppError('provenance_config', `Cannot read the ${what} at ${p}: ${(e as Error).message}.`);
  }
}

/** Loads a leaf-first PEM chain and its private key; a root at the end of the chain is kept out of the signature. */
export function loadConfiguredIdentity(certChainPath: string, privateKeyPath: string): SigningIdentity {
  const all = splitPemCertificates(readFileOrFail(certChainPath, 'signing certificate chain'));
  if (all.length === 0)
    throw new AppError('provenance_config', `No PEM certificate found in ${certChainPath}.`);
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(readFileOrFail(privateKeyPath, 'signing private key'));
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError(
      'provenance_config',
      `The signing private key at ${privateKeyPath} is not a readable PEM private key.`,
    );
  }
  assertUsableChain(all, key);
  const certs = all.map((d) => new X509Certificate(d));
  const last = certs[certs.length - 1];
  const endsWithRoot = certs.length > 1 && last.subject === last.issuer && last.verify(last.publicKey);
  const chain = endsWithRoot ? all.slice(0, -1) : all;
  return { signer: new LocalKeySigner(key, chain), ownRootPem: endsWithRoot ? last.toString() : null };
}

const DEV_CA = { commonName: 'consentry development CA (not for production)', organization: 'consentry' };
const DEV_LEAF = {
  commonName: 'consentry development signer (not for production)',
  organization: 'consentry',
};

function writePrivate(p: string, pem: string): void {
  fs.writeFileSync(p, pem, { mode: 0o600 });
  fs.chmodSync(p, 0o600);
}

/**
 * Creates (once) and loads the development CA and signing certificate in `<dataDir>/provenance`.
 * A leaf close to expiry is re-issued from the same CA so a long-lived dev data folder keeps working.
 */
export function loadOrCreateDevIdentity(
  dataDir: string,
  logger: { info(o: unknown, m?: string): void; warn(o: unknown, m?: string): void },
): SigningIdentity {
  const dir = path.join(dataDir, 'provenance');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = {
    caCert: path.join(dir, 'dev-ca.pem'),
    caKey: path.join(dir, 'dev-ca.key'),
    cert: path.join(dir, 'dev-signer.pem'),
    key: path.join(dir, 'dev-signer.key'),
  };
  let created = false;
  if (!fs.existsSync(files.caCert) || !fs.existsSync(files.caKey)) {
    const ca = issueCa(DEV_CA);
    writePrivate(files.caKey, ca.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    fs.writeFileSync(files.caCert, ca.pem);
    for (const f of [files.cert, files.key]) fs.rmSync(f, { force: true });
    created = true;
  }
  const caPem = fs.readFileSync(files.caCert, 'utf8');
  const caX509 = new X509Certificate(caPem);
  const renewLeaf = (): boolean => {
    if (!fs.existsSync(files.cert) || !fs.existsSync(files.key)) return true;
    const leaf = new X509Certificate(fs.readFileSync(files.cert, 'utf8'));
    return (
      new Date(leaf.validTo).getTime() - Date.now() < 7 * 24 * 3600 * 1000 || !leaf.verify(caX509.publicKey)
    );
  };
  if (renewLeaf()) {
    const caKey = crypto.createPrivateKey(fs.readFileSync(files.caKey, 'utf8'));
    const leaf = issueSigningCertificate(
      { der: caX509.raw, privateKey: caKey, publicKey: caX509.publicKey, subject: DEV_CA },
      DEV_LEAF,
    );
    writePrivate(files.key, leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    fs.writeFileSync(files.cert, leaf.pem);
    created = true;
  }
  const identity = loadConfiguredIdentity(files.cert, files.key);
  if (created) {
    logger.warn(
      { dir },
      'Created a development CA and C2PA signing certificate: for development only, configure a CA-issued certificate and key in production',
    );
  } else {
    logger.info({ dir }, 'Using the development C2PA signing certificate: for development only');
  }
  return { signer: identity.signer, ownRootPem: caX509.toString() };
}
