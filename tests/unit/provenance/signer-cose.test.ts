import crypto from 'node:crypto';
import { decode } from 'cbor-x';
import { AppError } from '../../../src/http/errors';
import { issueCa, issueSigningCertificate } from '../../../src/provenance/certificates';
import { coseSign1, reserveSizeFor } from '../../../src/provenance/cose';
import { assertUsableChain, LocalKeySigner } from '../../../src/provenance/signer';
import { Encoder } from 'cbor-x';

const caDn = { commonName: 'COSE CA' };
const ca = issueCa(caDn);
const leaf = issueSigningCertificate({ ...ca, subject: caDn }, { commonName: 'COSE signer' });
const signer = new LocalKeySigner(leaf.privateKey, [leaf.der]);

describe('LocalKeySigner', () => {
  it('derives ES256 from a P-256 key and returns raw 64-byte r||s signatures', async () => {
    expect(signer.alg).toBe('ES256');
    const sig = await signer.sign(Buffer.from('hello'));
    expect(sig).toHaveLength(64);
    expect(
      crypto.verify('sha256', Buffer.from('hello'), { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' }, sig),
    ).toBe(true);
  });
});

describe('coseSign1', () => {
  it('fills exactly the reserved size for a range of reserve sizes', async () => {
    const base = reserveSizeFor(signer);
    for (let size = base - 16; size < base + 300; size++) {
      const out = await coseSign1(signer, Buffer.from('claim bytes'), size);
      expect(out.length).toBe(size);
    }
    for (const size of [base + 5000, base + 70000]) {
      const out = await coseSign1(signer, Buffer.from('claim bytes'), size);
      expect(out.length).toBe(size);
    }
  });

  it('produces a tagged COSE_Sign1 whose signature verifies over the Sig_structure', async () => {
    const claim = crypto.randomBytes(300);
    const out = await coseSign1(signer, claim, reserveSizeFor(signer));
    const tagged = decode(out) as {
      tag: number;
      value: [Uint8Array, Map<string, unknown>, null, Uint8Array];
    };
    expect(tagged.tag).toBe(18);
    const [protectedBytes, , payload, signature] = tagged.value;
    expect(payload).toBeNull();
    const header = new Encoder({ mapsAsObjects: false }).decode(Buffer.from(protectedBytes)) as Map<
      number,
      unknown
    >;
    expect(header.get(1)).toBe(-7);
    expect(Buffer.from(header.get(33) as Uint8Array).equals(leaf.der)).toBe(true);
    const sigStructure = new Encoder({ useRecords: false }).encode([
      'Signature1',
      Buffer.from(protectedBytes),
      Buffer.alloc(0),
      claim,
    ]);
    expect(
      crypto.verify(
        'sha256',
        sigStructure,
        { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(signature),
      ),
    ).toBe(true);
  });

  it('refuses a reserve size too small for the signature', async () => {
    await expect(coseSign1(signer, Buffer.from('x'), 100)).rejects.toThrow(/does not fit/);
  });
});

describe('assertUsableChain', () => {
  it('accepts a current leaf with its own key', () => {
    expect(assertUsableChain([leaf.der], leaf.privateKey).subject).toContain('COSE signer');
  });

  it('refuses an expired certificate with a sentence naming the date', () => {
    const now = new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000);
    expect(() => assertUsableChain([leaf.der], leaf.privateKey, now)).toThrow(/expired on/);
  });

  it('refuses a private key that is not the certificate key', () => {
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    try {
      assertUsableChain([leaf.der], other);
      throw new Error('accepted a foreign key');
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('provenance_key_mismatch');
    }
  });

  it('refuses a chain whose order does not follow issuance', () => {
    const otherCa = issueCa({ commonName: 'Other CA' });
    expect(() => assertUsableChain([leaf.der, otherCa.der])).toThrow(/not issued by/);
  });
});
