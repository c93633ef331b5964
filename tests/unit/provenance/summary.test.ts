import {
  manifestDefinition,
  parseManifestInput,
  TRAINED_ALGORITHMIC_MEDIA,
} from '../../../src/provenance/manifest';
import { summarize } from '../../../src/provenance/summary';

const label = 'urn:c2pa:1111';
function store(opts: {
  state: string;
  failure?: string[];
  success?: string[];
  assertions?: unknown[];
}): string {
  return JSON.stringify({
    active_manifest: label,
    manifests: {
      [label]: {
        claim_generator_info: [{ name: 'consentry', version: '1.2.3' }],
        assertions: opts.assertions ?? [],
        signature_info: { alg: 'Es256', issuer: 'Org', common_name: 'Signer' },
      },
    },
    validation_results: {
      activeManifest: {
        success: (opts.success ?? []).map((code) => ({ code })),
        failure: (opts.failure ?? []).map((code) => ({ code })),
        informational: [],
      },
    },
    validation_state: opts.state,
  });
}
const crJson = JSON.stringify({
  manifests: [
    {
      label,
      signature: {
        certificateInfo: { subject: { O: 'consentry', CN: 'Signer' }, issuer: { CN: 'Root', C: 'FR' } },
      },
    },
  ],
});

describe('summarize', () => {
  it('reports a trusted valid manifest as valid_trusted with the certificate names from crJSON', () => {
    const s = summarize(
      store({ state: 'Trusted', success: ['signingCredential.trusted', 'claimSignature.validated'] }),
      crJson,
    );
    expect(s).toMatchObject({
      present: true,
      validationState: 'valid',
      trusted: true,
      verdict: 'valid_trusted',
      failureCodes: [],
    });
    expect(s.signer).toEqual({ subject: 'CN=Signer, O=consentry', issuer: 'CN=Root, C=FR' });
    expect(s.claimGenerator).toEqual({ name: 'consentry', version: '1.2.3' });
  });

  it('keeps an untrusted signer apart from an invalid manifest', () => {
    const s = summarize(store({ state: 'Valid', failure: ['signingCredential.untrusted'] }), null);
    expect(s).toMatchObject({
      validationState: 'valid',
      trusted: false,
      verdict: 'valid_untrusted',
      failureCodes: ['signingCredential.untrusted'],
    });
    expect(s.signer).toEqual({ subject: 'CN=Signer', issuer: 'O=Org' });
  });

  it('calls a hash mismatch tampered and other failures invalid', () => {
    expect(
      summarize(
        store({ state: 'Invalid', failure: ['signingCredential.untrusted', 'assertion.bmffHash.mismatch'] }),
        null,
      ).verdict,
    ).toBe('tampered');
    expect(summarize(store({ state: 'Invalid', failure: ['claimSignature.mismatch'] }), null).verdict).toBe(
      'tampered',
    );
    const expired = summarize(store({ state: 'Invalid', failure: ['signingCredential.expired'] }), null);
    expect(expired).toMatchObject({ validationState: 'invalid', verdict: 'invalid' });
  });

  it('reads the generation, soft binding and actions written by manifestDefinition back', () => {
    const input = parseManifestInput({
      generationId: 'gen_42',
      model: { name: 'clipgen', version: '3' },
      cameoRefs: ['cam_a', 'cam_b'],
      softBinding: { alg: 'com.consentry.watermark.v1', payloadHex: '00ff10' },
      createdAt: new Date('2026-01-02T03:04:05Z'),
    });
    const def = manifestDefinition(input, { name: 'consentry', version: '1.2.3' }, 'video/mp4') as {
      assertions: unknown[];
    };
    const s = summarize(store({ state: 'Trusted', assertions: def.assertions }), null);
    expect(s).toMatchObject({
      generationId: 'gen_42',
      cameoRefs: ['cam_a', 'cam_b'],
      softBinding: { alg: 'com.consentry.watermark.v1', payloadHex: '00ff10' },
      digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
      signedAt: '2026-01-02T03:04:05.000Z',
    });
    expect(s.actions).toEqual([
      {
        action: 'c2pa.created',
        when: '2026-01-02T03:04:05.000Z',
        softwareAgent: 'clipgen 3',
        digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
      },
    ]);
  });

  it('exposes a CAWG training-and-data-mining refusal of generative training and inference', () => {
    const s = summarize(
      store({
        state: 'Valid',
        assertions: [
          {
            label: 'cawg.training-mining',
            data: {
              entries: {
                'cawg.ai_generative_training': { use: 'notAllowed' },
                'cawg.ai_inference': { use: 'notAllowed' },
                'cawg.data_mining': { use: 'constrained', constraint_info: 'ask' },
                'cawg.ai_training': { use: 'allowed' },
              },
            },
          },
        ],
      }),
      null,
    );
    expect(s.trainingMining).toEqual({
      entries: {
        'cawg.ai_generative_training': 'notAllowed',
        'cawg.ai_inference': 'notAllowed',
        'cawg.data_mining': 'constrained',
        'cawg.ai_training': 'allowed',
      },
      generativeTrainingNotAllowed: true,
      inferenceNotAllowed: true,
    });
  });

  it('leaves trainingMining out when the asset has no such assertion', () => {
    expect(summarize(store({ state: 'Valid' }), null).trainingMining).toBeUndefined();
  });
});

describe('parseManifestInput', () => {
  it('refuses cameo references that are not opaque ids', () => {
    expect(() =>
      parseManifestInput({
        generationId: 'g',
        model: { name: 'm', version: '1' },
        cameoRefs: ['Jane Doe <jane@example.com>'],
      }),
    ).toThrow(/opaque ids/);
  });
  it('refuses a soft-binding payload that is not hex', () => {
    expect(() =>
      parseManifestInput({
        generationId: 'g',
        model: { name: 'm', version: '1' },
        cameoRefs: [],
        softBinding: { alg: 'a', payloadHex: 'xyz' },
      }),
    ).toThrow(/hex/);
  });
});
