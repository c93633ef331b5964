import type { FingerprintMatch, LedgerRecord } from '../../../src/ledger';
import type { ManifestSummary } from '../../../src/provenance';
import { decide, OPERATING_P_VALUE, strongFingerprint, type Signals } from '../../../src/verify/verdict';

const TAM = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';

const record = (over: Partial<LedgerRecord> = {}): LedgerRecord => ({
  payloadHex: '0123456789abcdef',
  generationId: 'gen-1',
  creatorId: 'creator',
  cameoIds: [],
  contentSha256: 'a'.repeat(64),
  blobKey: 'a'.repeat(64),
  mimeType: 'video/mp4',
  durationSec: 10,
  width: 1280,
  height: 720,
  manifest: {},
  manifestStoreJson: null,
  fingerprint: { frameHashes: [], audioHashes: [] },
  createdAt: '2026-11-25T20:00:00.000Z',
  takenDownAt: null,
  takedownReason: null,
  ...over,
});

const manifest = (over: Partial<ManifestSummary> = {}): ManifestSummary => ({
  present: true,
  validationState: 'valid',
  trusted: true,
  verdict: 'valid_trusted',
  signer: { subject: 'CN=other', issuer: 'CN=other CA' },
  signedAt: null,
  actions: [{ action: 'c2pa.created', digitalSourceType: TAM }],
  digitalSourceType: TAM,
  generationId: null,
  cameoRefs: [],
  softBinding: null,
  claimGenerator: null,
  failureCodes: [],
  ...over,
});

const fp = (over: Partial<FingerprintMatch>): FingerprintMatch => ({
  record: record(),
  matchedFrames: 0,
  meanDistance: 0,
  matchedAudio: 0,
  queryFrames: 0,
  queryAudio: 0,
  ...over,
});

const none: Signals = {
  kind: 'video',
  manifest: null,
  manifestIsOurs: false,
  watermark: { detected: false, pValue: 1, payloadHex: null },
  byContentHash: null,
  byWatermark: null,
  byManifest: null,
  fingerprint: null,
};

describe('verdict precedence', () => {
  it('needs both a watermark below the operating p-value and a ledger entry for generated_here', () => {
    const wm = { detected: true, pValue: 1e-20, payloadHex: '0123456789abcdef' };
    expect(decide({ ...none, watermark: wm, byWatermark: record() })).toMatchObject({
      verdict: 'generated_here',
      matchedBy: 'watermark',
    });
    expect(decide({ ...none, watermark: wm, byWatermark: null }).verdict).toBe('no_evidence');
    expect(
      decide({ ...none, watermark: { ...wm, pValue: OPERATING_P_VALUE * 10 }, byWatermark: record() })
        .verdict,
    ).toBe('no_evidence');
    expect(decide({ ...none, watermark: { ...wm, detected: false }, byWatermark: record() }).verdict).toBe(
      'no_evidence',
    );
  });

  it('counts a manifest of ours only when it is valid, trusted, ours and its generation is in the ledger', () => {
    const ours = manifest({ generationId: 'gen-1' });
    expect(decide({ ...none, manifest: ours, manifestIsOurs: true, byManifest: record() })).toMatchObject({
      verdict: 'generated_here',
      matchedBy: 'manifest',
    });
    expect(decide({ ...none, manifest: ours, manifestIsOurs: true, byManifest: null }).verdict).toBe(
      'no_evidence',
    );
    expect(
      decide({
        ...none,
        manifest: { ...ours, verdict: 'valid_untrusted' },
        manifestIsOurs: true,
        byManifest: record(),
      }).verdict,
    ).toBe('no_evidence');
    // Someone else's manifest naming one of our generation ids is not ours.
    expect(decide({ ...none, manifest: ours, manifestIsOurs: false, byManifest: record() }).verdict).toBe(
      'ai_generated_elsewhere',
    );
  });

  it('reports a broken manifest as tampered even when the watermark finds the ledger entry, and names the origin', () => {
    const d = decide({
      ...none,
      manifest: manifest({
        verdict: 'tampered',
        validationState: 'invalid',
        failureCodes: ['assertion.dataHash.mismatch'],
      }),
      manifestIsOurs: true,
      watermark: { detected: true, pValue: 1e-30, payloadHex: '0123456789abcdef' },
      byWatermark: record({ takenDownAt: '2026-11-25T21:00:00.000Z' }),
    });
    expect(d).toMatchObject({ verdict: 'tampered', matchedBy: 'watermark' });
    expect(d.explanation).toMatch(/assertion\.dataHash\.mismatch/);
    expect(d.explanation).toMatch(/generated here/);
    expect(d.explanation).toMatch(/taken down/);
  });

  it('calls a valid manifest from another signer declaring generative AI ai_generated_elsewhere, and one without that declaration no_evidence', () => {
    expect(
      decide({ ...none, manifest: manifest({ verdict: 'valid_untrusted', trusted: false }) }),
    ).toMatchObject({ verdict: 'ai_generated_elsewhere', confidence: 0.75 });
    const camera = manifest({
      digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture',
      actions: [{ action: 'c2pa.created' }],
    });
    expect(decide({ ...none, manifest: camera }).verdict).toBe('no_evidence');
  });

  it('accepts only strong fingerprint matches', () => {
    expect(strongFingerprint(fp({ queryFrames: 8, matchedFrames: 6, meanDistance: 3 }))).toBe(true);
    expect(strongFingerprint(fp({ queryFrames: 8, matchedFrames: 3, meanDistance: 3 }))).toBe(false);
    expect(strongFingerprint(fp({ queryFrames: 8, matchedFrames: 8, meanDistance: 9.5 }))).toBe(false);
    expect(strongFingerprint(fp({ queryFrames: 1, matchedFrames: 1, meanDistance: 4 }))).toBe(true);
    expect(strongFingerprint(fp({ queryFrames: 1, matchedFrames: 1, meanDistance: 8 }))).toBe(false);
    expect(strongFingerprint(fp({ queryAudio: 10, matchedAudio: 6 }))).toBe(true);
    expect(strongFingerprint(fp({ queryAudio: 3, matchedAudio: 3 }))).toBe(false);
    expect(
      decide({ ...none, fingerprint: fp({ queryFrames: 8, matchedFrames: 3, meanDistance: 3 }) }).verdict,
    ).toBe('no_evidence');
    expect(
      decide({ ...none, fingerprint: fp({ queryFrames: 8, matchedFrames: 7, meanDistance: 2 }) }),
    ).toMatchObject({ verdict: 'generated_here', matchedBy: 'fingerprint' });
  });

  it('prefers the exact content hash over every other signal and says when the manifest was stripped', () => {
    expect(decide({ ...none, byContentHash: record() })).toMatchObject({
      verdict: 'generated_here',
      matchedBy: 'content_hash',
      confidence: 1,
    });
    const stripped = decide({
      ...none,
      watermark: { detected: true, pValue: 1e-12, payloadHex: '0123456789abcdef' },
      byWatermark: record(),
    });
    expect(stripped.explanation).toMatch(/Content Credentials were removed/);
  });
});
