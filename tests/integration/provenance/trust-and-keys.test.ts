import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../src/http/errors';
import { createProvenance } from '../../../src/provenance';
import { issueCa, issueSigningCertificate } from '../../../src/provenance/certificates';
import { fixture } from '../../helpers/fixtures';
import { manifestInput, silentLogger, tempDir, writeForeignIdentity } from './helpers';

const DAY = 24 * 3600 * 1000;

describe('signing identity and trust', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('prov-trust');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates a development CA and signer once, with private keys readable only by the owner, and says it is for development', async () => {
    const dataDir = path.join(dir, 'data');
    const logs: string[] = [];
    const logger = {
      info: (_o: unknown, m?: string) => logs.push(`info ${m}`),
      warn: (_o: unknown, m?: string) => logs.push(`warn ${m}`),
    };
    const first = await createProvenance({ dataDir, logger });
    const files = fs.readdirSync(path.join(dataDir, 'provenance')).sort();
    expect(files).toEqual(['dev-ca.key', 'dev-ca.pem', 'dev-signer.key', 'dev-signer.pem']);
    for (const key of ['dev-ca.key', 'dev-signer.key']) {
      expect(fs.statSync(path.join(dataDir, 'provenance', key)).mode & 0o777).toBe(0o600);
    }
    expect(logs.some((l) => l.startsWith('warn') && /development only/.test(l))).toBe(true);

    const second = await createProvenance({ dataDir, logger });
    expect(second.signerInfo()).toEqual(first.signerInfo());
    expect(new Date(first.signerInfo().notAfter).getTime()).toBeGreaterThan(Date.now() + 300 * DAY);
    // A file signed before a restart is still trusted after it: the CA was reused.
    const signed = await first.sign(fs.readFileSync(fixture('faces', 'obama-1.jpg')), manifestInput());
    expect((await second.read(signed)).verdict).toBe('valid_trusted');
  });

  it('reports a file signed under an unknown CA as valid but untrusted, and trusted once that CA is an anchor', async () => {
    const ours = await createProvenance({ dataDir: path.join(dir, 'ours'), logger: silentLogger });
    const foreignDir = tempDir('prov-foreign');
    const foreign = writeForeignIdentity(foreignDir);
    const theirs = await createProvenance({
      dataDir: foreignDir,
      certChainPath: foreign.chain,
      privateKeyPath: foreign.key,
      logger: silentLogger,
    });
    expect(theirs.signerInfo().issuer).toContain('Unknown Test CA');

    const signed = await theirs.sign(fs.readFileSync(fixture('media', 'coffee.png')), manifestInput());
    const s = await ours.read(signed);
    expect(s).toMatchObject({
      present: true,
      validationState: 'valid',
      trusted: false,
      verdict: 'valid_untrusted',
    });
    expect(s.failureCodes).toEqual(['signingCredential.untrusted']);
    expect(s.signer?.issuer).toContain('CN=Unknown Test CA');

    const bundle = path.join(foreignDir, 'anchors.pem');
    fs.writeFileSync(bundle, foreign.caPem);
    const withAnchor = await createProvenance({
      dataDir: path.join(dir, 'ours'),
      trustAnchorsPath: bundle,
      logger: silentLogger,
    });
    expect((await withAnchor.read(signed)).verdict).toBe('valid_trusted');
    // Its own CA stays trusted beside the configured bundle.
    const own = await withAnchor.sign(fs.readFileSync(fixture('media', 'coffee.png')), manifestInput());
    expect((await withAnchor.read(own)).verdict).toBe('valid_trusted');
    fs.rmSync(foreignDir, { recursive: true, force: true });
  });

  it('loads a production chain with an intermediate, keeps the root out of the signature and trusts it', async () => {
    const d = tempDir('prov-chain');
    const rootDn = { commonName: 'Prod Root CA', organization: 'consentry' };
    const interDn = { commonName: 'Prod Issuing CA', organization: 'consentry' };
    const root = issueCa(rootDn);
    const inter = issueCa(interDn, { parent: { ...root, subject: rootDn } });
    const leaf = issueSigningCertificate(
      { ...inter, subject: interDn },
      { commonName: 'Prod signer', organization: 'consentry' },
    );
    fs.writeFileSync(path.join(d, 'chain.pem'), leaf.pem + inter.pem + root.pem);
    fs.writeFileSync(
      path.join(d, 'key.pem'),
      leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      { mode: 0o600 },
    );
    const prov = await createProvenance({
      dataDir: d,
      certChainPath: path.join(d, 'chain.pem'),
      privateKeyPath: path.join(d, 'key.pem'),
      logger: silentLogger,
    });
    expect(prov.signerInfo()).toMatchObject({
      subject: 'CN=Prod signer, O=consentry',
      issuer: 'CN=Prod Issuing CA, O=consentry',
    });
    const signed = await prov.sign(fs.readFileSync(fixture('faces', 'obama-1.jpg')), manifestInput());
    expect(await prov.read(signed)).toMatchObject({
      verdict: 'valid_trusted',
      signer: { subject: 'CN=Prod signer, O=consentry', issuer: 'CN=Prod Issuing CA, O=consentry' },
    });
    // A verifier that only has the service's development CA does not trust it.
    const other = await createProvenance({ dataDir: path.join(d, 'other'), logger: silentLogger });
    expect((await other.read(signed)).verdict).toBe('valid_untrusted');
    fs.rmSync(d, { recursive: true, force: true });
  });

  it('refuses to start with an expired signing certificate', async () => {
    const d = tempDir('prov-expired');
    const id = writeForeignIdentity(d, {
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const start = createProvenance({
      dataDir: d,
      certChainPath: id.chain,
      privateKeyPath: id.key,
      logger: silentLogger,
    });
    await expect(start).rejects.toBeInstanceOf(AppError);
    await expect(start).rejects.toMatchObject({
      code: 'provenance_cert_expired',
      message: expect.stringMatching(/expired on/),
    });
    fs.rmSync(d, { recursive: true, force: true });
  });

  it('refuses to start with a private key that does not match the certificate', async () => {
    const d = tempDir('prov-mismatch');
    const id = writeForeignIdentity(d, { wrongKey: true });
    await expect(
      createProvenance({ dataDir: d, certChainPath: id.chain, privateKeyPath: id.key, logger: silentLogger }),
    ).rejects.toMatchObject({
      code: 'provenance_key_mismatch',
      message: 'The configured private key does not match the signing certificate.',
    });
    fs.rmSync(d, { recursive: true, force: true });
  });

  it('refuses to start with only one of the chain and key configured, or unreadable files', async () => {
    await expect(
      createProvenance({ dataDir: dir, certChainPath: '/nonexistent/chain.pem', logger: silentLogger }),
    ).rejects.toMatchObject({ code: 'provenance_config' });
    await expect(
      createProvenance({
        dataDir: dir,
        certChainPath: '/nonexistent/chain.pem',
        privateKeyPath: '/nonexistent/key.pem',
        logger: silentLogger,
      }),
    ).rejects.toMatchObject({
      code: 'provenance_config',
      message: expect.stringMatching(/Cannot read the signing certificate chain/),
    });
  });
});
