import crypto from 'node:crypto';
import fs from 'node:fs';
import { createProvenanceWithSigner, LocalKeySigner, type Signer } from '../../../src/provenance';
import {
  EngineStopped,
  readManifestStore,
  resetRuntime,
  signAsset,
  type SignerDefinition,
} from '../../../src/provenance/c2pa-runtime';
import { issueCa, issueSigningCertificate } from '../../../src/provenance/certificates';
import { fixture } from '../../helpers/fixtures';
import { manifestInput, tempDir } from './helpers';

/** A stand-in for a KMS/HSM: it only exposes alg, chain and a sign call, never the key. */
class RemoteStyleSigner implements Signer {
  calls = 0;
  failNext = false;
  constructor(
    private readonly inner: LocalKeySigner,
    readonly alg = inner.alg,
    readonly certChainDer = inner.certChainDer,
  ) {}
  async sign(data: Buffer): Promise<Buffer> {
    this.calls++;
    await new Promise((r) => setTimeout(r, 5));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('KMS unavailable');
    }
    return this.inner.sign(data);
  }
}

describe('a signer supplied from outside (KMS/HSM style)', () => {
  const caDn = { commonName: 'KMS test CA' };
  const ca = issueCa(caDn);
  const leaf = issueSigningCertificate({ ...ca, subject: caDn }, { commonName: 'KMS signer' });

  it('signs through the Signer interface, is trusted with its CA as anchor, and recovers after a failed signing call', async () => {
    const dir = tempDir('prov-kms');
    const anchors = `${dir}/anchors.pem`;
    fs.writeFileSync(anchors, ca.pem);
    const signer = new RemoteStyleSigner(new LocalKeySigner(leaf.privateKey, [leaf.der]));
    const prov = await createProvenanceWithSigner(signer, { trustAnchorsPath: anchors });
    expect(signer.calls).toBe(2); // the start-up self-test: an image and an MP4
    const png = fs.readFileSync(fixture('media', 'coffee.png'));

    signer.failNext = true;
    await expect(prov.sign(png, manifestInput())).rejects.toMatchObject({
      code: 'provenance_sign_failed',
      message: expect.stringContaining('the signer failed: KMS unavailable'),
    });

    const signed = await prov.sign(png, manifestInput());
    expect(signer.calls).toBe(4);
    const s = await prov.read(signed);
    expect(s.verdict).toBe('valid_trusted');
    expect(s.signer?.subject).toBe('CN=KMS signer');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 when the engine worker dies during a call, and the next call gets a fresh engine', async () => {
    const inner = new LocalKeySigner(leaf.privateKey, [leaf.der]);
    let killDuringSign = false;
    const killer: Signer = {
      alg: 'ES256',
      certChainDer: [leaf.der],
      async sign(d) {
        if (killDuringSign) {
          killDuringSign = false;
          await resetRuntime(); // the worker is waiting for this signature when it is stopped
        }
        return inner.sign(d);
      },
    };
    const dir = tempDir('prov-kill');
    fs.writeFileSync(`${dir}/anchors.pem`, ca.pem);
    const prov = await createProvenanceWithSigner(killer, { trustAnchorsPath: `${dir}/anchors.pem` });
    const png = fs.readFileSync(fixture('media', 'coffee.png'));
    killDuringSign = true;
    await expect(prov.sign(png, manifestInput())).rejects.toMatchObject({
      status: 503,
      code: 'provenance_engine_stopped',
    });
    const signed = await prov.sign(png, manifestInput());
    expect((await prov.read(signed)).verdict).toBe('valid_trusted');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives up on a signer that never answers, and the engine serves the next call', async () => {
    const never: SignerDefinition = {
      alg: 'es256',
      reserveSize: 4096,
      sign: () => new Promise<Uint8Array>(() => undefined),
    };
    const png = fs.readFileSync(fixture('media', 'coffee.png'));
    const manifest = JSON.stringify({
      claim_generator_info: [{ name: 'test', version: '1' }],
      assertions: [],
    });
    await expect(signAsset(manifest, '{}', [], never, 'image/png', png, 1500)).rejects.toBeInstanceOf(
      EngineStopped,
    );
    await expect(signAsset(manifest, '{}', [], never, 'image/png', png, 1500)).rejects.toThrow(
      /did not finish within 1500 ms/,
    );
    // A real answer from a fresh engine: the unsigned PNG has no manifest store.
    await expect(readManifestStore('image/png', png, '{}')).rejects.toBe('C2pa(JumbfNotFound)');
  });

  it('refuses to start when the signer produces signatures that do not validate', async () => {
    const wrong = issueSigningCertificate({ ...ca, subject: caDn }, { commonName: 'other key' });
    const lying: Signer = {
      alg: 'ES256',
      certChainDer: [leaf.der],
      sign: (d) => new LocalKeySigner(wrong.privateKey, [wrong.der]).sign(d),
    };
    await expect(createProvenanceWithSigner(lying, {})).rejects.toMatchObject({
      code: 'provenance_self_test_failed',
      message: expect.stringMatching(/does not validate \(.*claimSignature.mismatch/),
    });
  });

  it('refuses a signer whose certificate chain has expired', async () => {
    const old = issueSigningCertificate(
      { ...ca, subject: caDn },
      { commonName: 'old' },
      {
        notBefore: new Date(Date.now() - 90 * 86400000),
        notAfter: new Date(Date.now() - 86400000),
      },
    );
    await expect(
      createProvenanceWithSigner(new LocalKeySigner(old.privateKey, [old.der]), {}),
    ).rejects.toMatchObject({ code: 'provenance_cert_expired' });
  });

  it('refuses a signing key type COSE here does not support', () => {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => new LocalKeySigner(rsa, [leaf.der])).toThrow(/not supported/);
  });
});
