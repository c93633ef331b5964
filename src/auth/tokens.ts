import jwt from 'jsonwebtoken';
import { z } from 'zod';

/** Short-lived access tokens: algorithm, issuer and audience are pinned on both sides. */
export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const ALGORITHM = 'HS256' as const;

const claimsSchema = z.object({ sub: z.string().uuid(), iat: z.number(), exp: z.number() });

export function issueToken(s: TokenSettings, accountId: string): string {
  return jwt.sign({}, s.secret, {
    algorithm: ALGORITHM,
    subject: accountId,
    issuer: s.issuer,
    audience: s.audience,
    expiresIn: s.ttlSeconds,
  });
}

export type TokenCheck = { ok: true; accountId: string } | { ok: false; reason: string };

export function checkToken(s: TokenSettings, token: string): TokenCheck {
  try {
    const payload = jwt.verify(token, s.secret, {
      algorithms: [ALGORITHM],
      issuer: s.issuer,
      audience: s.audience,
    });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return { ok: false, reason: 'malformed_claims' };
    return { ok: true, accountId: claims.data.sub };
  } catch (e) {
    if (e instanceof jwt.TokenExpiredError) return { ok: false, reason: 'expired' };
    if (e instanceof jwt.JsonWebTokenError) {
      if (/audience/.test(e.message)) return { ok: false, reason: 'wrong_audience' };
      if (/issuer/.test(e.message)) return { ok: false, reason: 'wrong_issuer' };
      if (/signature/.test(e.message)) return { ok: false, reason: 'bad_signature' };
      if (/algorithm/.test(e.message) || /alg/.test(e.message))
        return { ok: false, reason: 'wrong_algorithm' };
      return { ok: false, reason: 'malformed' };
    }
    return { ok: false, reason: 'malformed' };
  }
}
