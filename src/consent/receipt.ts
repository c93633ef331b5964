import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { z } from 'zod';

/**
 * Consent receipts: a JWS (ES256) the owner keeps and anyone can check against the service's
 * published key set. The key is made once in the data folder (0600) so every process sharing the
 * folder signs with the same key; a configured PEM path wins when given.
 */
export interface ReceiptKeys {
  kid: string;
  sign(claims: ReceiptClaims): string;
  jwks(): { keys: PublicJwk[] };
}

export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export const RECEIPT_TYPE = 'consentry-consent-receipt';

export const receiptClaimsSchema = z.object({
  typ: z.literal(RECEIPT_TYPE),
  cameoId: z.string().uuid(),
  ownerId: z.string().uuid(),
  handle: z.string(),
  consentedAt: z.string(),
  challengeId: z.string(),
  enrollmentId: z.string().uuid(),
  /** sha256 of the stored analysis report (checks and scores, no biometric data). */
  reportHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ReceiptClaims = z.infer<typeof receiptClaimsSchema>;

const KEY_FILE = 'consent-receipt-key.pem';

function loadOrCreatePem(dataDir: string): string {
  const file = path.join(dataDir, KEY_FILE);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  fs.mkdirSync(dataDir, { recursive: true });
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, pem, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file); // another process may have won the race: then use its key
  } catch {
    return fs.readFileSync(file, 'utf8');
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return pem;
}

/** RFC 7638 thumbprint: a kid that changes exactly when the key does. */
function thumbprint(jwk: { crv: string; kty: string; x: string; y: string }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return crypto.createHash('sha256').update(canonical).digest('base64url');
}

export function loadReceiptKeys(opts: { dataDir: string; privateKeyPath?: string }): ReceiptKeys {
  const pem = opts.privateKeyPath
    ? fs.readFileSync(opts.privateKeyPath, 'utf8')
    : loadOrCreatePem(opts.dataDir);
  const privateKey: KeyObject = crypto.createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('The consent receipt key must be an EC P-256 private key (ES256).');
  }
  const pub = crypto.createPublicKey(privateKey).export({ format: 'jwk' }) as {
    crv: string;
    kty: string;
    x: string;
    y: string;
  };
  const kid = thumbprint(pub);
  const publicJwk: PublicJwk = { kty: 'EC', crv: 'P-256', x: pub.x, y: pub.y, kid, alg: 'ES256', use: 'sig' };
  return {
    kid,
    sign(claims) {
      const body = receiptClaimsSchema.parse(claims);
      return jwt.sign(body, privateKey, {
        algorithm: 'ES256',
        keyid: kid,
        header: { alg: 'ES256', kid, typ: 'JWT' },
      });
    },
    jwks: () => ({ keys: [publicJwk] }),
  };
}

/** Verifies a receipt against a published key set; returns its claims or throws. */
export function verifyReceipt(receipt: string, jwks: { keys: PublicJwk[] }): ReceiptClaims {
  const decoded = jwt.decode(receipt, { complete: true });
  const kid = decoded?.header.kid;
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (!jwk) throw new Error('The receipt was signed with a key this key set does not hold.');
  const key = crypto.createPublicKey({
    key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    format: 'jwk',
  });
  const claims = jwt.verify(receipt, key, { algorithms: ['ES256'] });
  return receiptClaimsSchema.parse(claims);
}
