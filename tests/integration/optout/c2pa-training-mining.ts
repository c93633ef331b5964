/**
 * Signs a test image with a C2PA manifest carrying the CAWG training-and-data-mining assertion.
 * src/provenance's sign() only writes the service's own generation manifests, so this builds the
 * manifest definition itself and signs it with the same engine and the service's dev identity
 * (so the reader sees a valid, trusted manifest from a third party's point of view).
 */
import { signAsset } from '../../../src/provenance/c2pa-runtime';
import { coseSign1, reserveSizeFor } from '../../../src/provenance/cose';
import { sniffFormat } from '../../../src/provenance/format';
import { loadOrCreateDevIdentity } from '../../../src/provenance/identity';

export async function signWithTrainingMining(
  dataDir: string,
  bytes: Buffer,
  uses: Record<string, 'allowed' | 'notAllowed' | 'constrained'>,
): Promise<Buffer> {
  const { signer } = loadOrCreateDevIdentity(dataDir, { info: () => undefined, warn: () => undefined });
  const format = sniffFormat(bytes);
  const reserveSize = reserveSizeFor(signer);
  const manifest = {
    claim_generator_info: [{ name: 'photo-agency-test', version: '1.0.0' }],
    title: 'Agency photograph, AI use reserved',
    format,
    assertions: [
      {
        label: 'c2pa.actions.v2',
        data: {
          actions: [
            {
              action: 'c2pa.created',
              digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture',
            },
          ],
        },
      },
      {
        label: 'cawg.training-mining',
        data: { entries: Object.fromEntries(Object.entries(uses).map(([k, use]) => [k, { use }])) },
      },
    ],
  };
  const context = JSON.stringify({
    verify: { verify_trust: false, remote_manifest_fetch: false, ocsp_fetch: false },
    builder: { thumbnail: { enabled: false } },
  });
  const out = await signAsset(
    JSON.stringify(manifest),
    context,
    [],
    {
      alg: signer.alg.toLowerCase(),
      reserveSize,
      sign: async (claim: Uint8Array) => new Uint8Array(await coseSign1(signer, claim, reserveSize)),
    },
    format,
    bytes,
  );
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}
