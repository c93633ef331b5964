import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBiometrics, openFaceTemplate, sealBiometrics } from '../../../src/consent/cameo-crypto';
import { loadReceiptKeys, verifyReceipt } from '../../../src/consent/receipt';

const claims = () => ({
  typ: 'consentry-consent-receipt' as const,
  cameoId: crypto.randomUUID(),
  ownerId: crypto.randomUUID(),
  handle: 'maya',
  consentedAt: new Date().toISOString(),
  challengeId: 'c1',
  enrollmentId: crypto.randomUUID(),
  reportHash: 'a'.repeat(64),
});

describe('consent receipts', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receipt-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates one ES256 key in the data folder (0600) and reuses it on the next start', () => {
    const a = loadReceiptKeys({ dataDir: dir });
    const b = loadReceiptKeys({ dataDir: dir });
    expect(a.kid).toBe(b.kid);
    expect(fs.statSync(path.join(dir, 'consent-receipt-key.pem')).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(a.jwks())).not.toMatch(/"d"/);
  });

  it('signs receipts that verify with the key set, and refuses another service’s key or a changed payload', () => {
    const keys = loadReceiptKeys({ dataDir: dir });
    const c = claims();
    const jws = keys.sign(c);
    expect(verifyReceipt(jws, keys.jwks())).toMatchObject(c);
    const other = loadReceiptKeys({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'receipt-other-')) });
    expect(() => verifyReceipt(jws, other.jwks())).toThrow(/key set/);
    const [h, , s] = jws.split('.');
    const changed = Buffer.from(JSON.stringify({ ...c, handle: 'mallory' })).toString('base64url');
    expect(() => verifyReceipt(`${h}.${changed}.${s}`, keys.jwks())).toThrow();
  });
});

describe('sealing of cameo biometrics', () => {
  const master = crypto.randomBytes(32);
  const face = new Float32Array(128).map((_, i) => Math.sin(i));
  const voice = new Float32Array(20).map((_, i) => i / 7);
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), crypto.randomBytes(500)]);

  it('round-trips through the data key and keeps no plaintext in the sealed bytes', () => {
    const id = crypto.randomUUID();
    const sealed = sealBiometrics(master, id, {
      faceTemplate: face,
      voiceTemplate: voice,
      referenceImageJpeg: jpeg,
    });
    expect(sealed.faceTemplate.includes(Buffer.from(face.buffer).subarray(0, 16))).toBe(false);
    const open = openBiometrics(master, id, sealed);
    expect(Array.from(open.faceTemplate)).toEqual(Array.from(face));
    expect(Array.from(open.voiceTemplate)).toEqual(Array.from(voice));
    expect(open.referenceImageJpeg.equals(jpeg)).toBe(true);
  });

  it('refuses a sealed template moved to another cameo, or opened with another master key', () => {
    const id = crypto.randomUUID();
    const sealed = sealBiometrics(master, id, {
      faceTemplate: face,
      voiceTemplate: voice,
      referenceImageJpeg: jpeg,
    });
    expect(() =>
      openFaceTemplate(master, crypto.randomUUID(), sealed.wrappedKey, sealed.faceTemplate),
    ).toThrow();
    expect(() =>
      openFaceTemplate(crypto.randomBytes(32), id, sealed.wrappedKey, sealed.faceTemplate),
    ).toThrow();
    expect(() => openFaceTemplate(master, id, sealed.wrappedKey, sealed.voiceTemplate)).toThrow();
  });
});
