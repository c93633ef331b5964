/**
 * Issues the X.509 certificates the service needs for development and tests: a CA and ES256
 * signing certificates that c2pa-rs accepts (CA-issued, digitalSignature key usage marked critical,
 * an extended key usage from the C2PA list, subject and authority key identifiers).
 */
import crypto, { KeyObject } from 'node:crypto';
import {
  bitString,
  boolean,
  explicit,
  integer,
  namedBits,
  octetString,
  oid,
  seq,
  set,
  time,
  utf8String,
} from './der';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  country: '2.5.4.6',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  documentSigning: '1.3.6.1.5.5.7.3.36',
};

export interface DistinguishedName {
  commonName: string;
  organization?: string;
  country?: string;
}

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function name(dn: DistinguishedName): Buffer {
  const rdns: Buffer[] = [];
  const attr = (type: string, value: Buffer): Buffer => set(seq(oid(type), value));
  if (dn.country)
    rdns.push(
      attr(
        OID.country,
        Buffer.concat([Buffer.from([0x13, dn.country.length]), Buffer.from(dn.country, 'ascii')]),
      ),
    );
  if (dn.organization) rdns.push(attr(OID.organization, utf8String(dn.organization)));
  rdns.push(attr(OID.commonName, utf8String(dn.commonName)));
  return seq(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), boolean(true), octetString(value)) : seq(oid(id), octetString(value));
}

function keyId(publicKey: KeyObject): Buffer {
  return crypto
    .createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

function serialNumber(): Buffer {
  const b = crypto.randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b;
}

export function toPem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

interface IssueParams {
  subject: DistinguishedName;
  publicKey: KeyObject;
  issuer: { name: DistinguishedName; privateKey: KeyObject; publicKey: KeyObject };
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
}

function issue(p: IssueParams): Buffer {
  const sigAlg = seq(oid(OID.ecdsaWithSha256));
  const exts = p.ca
    ? [
        extension(OID.basicConstraints, true, seq(boolean(true), integer(0))),
        extension(OID.keyUsage, true, namedBits([5, 6])), // keyCertSign, cRLSign
      ]
    : [
        extension(OID.basicConstraints, true, seq()),
        extension(OID.keyUsage, true, namedBits([0])), // digitalSignature
        extension(OID.extKeyUsage, false, seq(oid(OID.emailProtection), oid(OID.documentSigning))),
      ];
  exts.push(extension(OID.subjectKeyId, false, octetString(keyId(p.publicKey))));
  exts.push(
    extension(
      OID.authorityKeyId,
      false,
      seq(Buffer.concat([Buffer.from([0x80, 20]), keyId(p.issuer.publicKey)])),
    ),
  );
  const tbs = seq(
    explicit(0, integer(2)),
    integer(serialNumber()),
    sigAlg,
    name(p.issuer.name),
    seq(time(p.notBefore), time(p.notAfter)),
    name(p.subject),
    p.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...exts)),
  );
  const signature = crypto.sign('sha256', tbs, p.issuer.privateKey);
  return seq(tbs, sigAlg, bitString(signature));
}

function newP256(): { privateKey: KeyObject; publicKey: KeyObject } {
  return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

const DAY = 24 * 3600 * 1000;

/** A root CA, or an intermediate when `parent` is given. */
export function issueCa(
  subject: DistinguishedName,
  opts: {
    days?: number;
    notBefore?: Date;
    parent?: { privateKey: KeyObject; publicKey: KeyObject; subject: DistinguishedName };
  } = {},
): IssuedCertificate {
  const keys = newP256();
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const der = issue({
    subject,
    publicKey: keys.publicKey,
    issuer: opts.parent
      ? { name: opts.parent.subject, privateKey: opts.parent.privateKey, publicKey: opts.parent.publicKey }
      : { name: subject, ...keys },
    notBefore,
    notAfter: new Date(notBefore.getTime() + (opts.days ?? 3650) * DAY),
    ca: true,
  });
  return { der, pem: toPem(der), ...keys };
}

export function issueSigningCertificate(
  ca: { der: Buffer; privateKey: KeyObject; publicKey: KeyObject; subject: DistinguishedName },
  subject: DistinguishedName,
  opts: { notBefore?: Date; notAfter?: Date } = {},
): IssuedCertificate {
  const keys = newP256();
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const der = issue({
    subject,
    publicKey: keys.publicKey,
    issuer: { name: ca.subject, privateKey: ca.privateKey, publicKey: ca.publicKey },
    notBefore,
    notAfter: opts.notAfter ?? new Date(notBefore.getTime() + 825 * DAY),
    ca: false,
  });
  return { der, pem: toPem(der), ...keys };
}
