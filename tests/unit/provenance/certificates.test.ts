import { X509Certificate } from 'node:crypto';
import { issueCa, issueSigningCertificate } from '../../../src/provenance/certificates';
import { integer, namedBits, oid, time } from '../../../src/provenance/der';

describe('DER encoders', () => {
  it('encode object identifiers, integers, named bits and times as DER', () => {
    expect(oid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(integer(0).toString('hex')).toBe('020100');
    expect(integer(128).toString('hex')).toBe('02020080');
    expect(integer(Buffer.from([0, 0, 1])).toString('hex')).toBe('020101');
    expect(namedBits([0]).toString('hex')).toBe('03020780'); // digitalSignature only
    expect(namedBits([5, 6]).toString('hex')).toBe('03020106'); // keyCertSign + cRLSign
    expect(time(new Date('2030-01-02T03:04:05Z')).toString('latin1', 2)).toBe('300102030405Z');
    expect(time(new Date('2051-01-02T03:04:05Z')).toString('latin1', 2)).toBe('20510102030405Z');
  });
});

describe('certificate issuance', () => {
  const caDn = { commonName: 'Unit CA', organization: 'consentry' };
  const ca = issueCa(caDn);
  const leaf = issueSigningCertificate(
    { ...ca, subject: caDn },
    { commonName: 'Unit signer', organization: 'consentry' },
  );

  it('issues a CA certificate that Node parses as a self-signed CA', () => {
    const x = new X509Certificate(ca.der);
    expect(x.ca).toBe(true);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.subject).toContain('CN=Unit CA');
  });

  it('issues an end-entity ES256 certificate signed by the CA with the C2PA extended key usages', () => {
    const x = new X509Certificate(leaf.der);
    expect(x.ca).toBe(false);
    expect(x.issuer).toContain('CN=Unit CA');
    expect(x.verify(new X509Certificate(ca.der).publicKey)).toBe(true);
    expect(x.checkPrivateKey(leaf.privateKey)).toBe(true);
    expect(x.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.36']));
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('marks key usage critical with only digitalSignature set', () => {
    // id-ce-keyUsage, critical TRUE, OCTET STRING { BIT STRING 07 80 }
    const expected = Buffer.from('0603551d0f0101ff0404030207 80'.replace(/ /g, ''), 'hex');
    expect(leaf.der.includes(expected)).toBe(true);
  });

  it('honours explicit validity dates', () => {
    const notAfter = new Date(Date.now() - 24 * 3600 * 1000);
    const old = issueSigningCertificate(
      { ...ca, subject: caDn },
      { commonName: 'old' },
      { notBefore: new Date(notAfter.getTime() - 86400000 * 30), notAfter },
    );
    expect(new Date(new X509Certificate(old.der).validTo).getTime()).toBe(
      Math.floor(notAfter.getTime() / 1000) * 1000,
    );
    expect(new X509Certificate(old.der).checkPrivateKey(old.privateKey)).toBe(true);
  });
});
