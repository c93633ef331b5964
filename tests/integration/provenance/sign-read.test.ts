import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ffmpegBin, runTool } from '../../../src/media/tools';
import { createProvenance, type Provenance } from '../../../src/provenance';
import { readManifestStore, signAsset } from '../../../src/provenance/c2pa-runtime';
import { issueCa, issueSigningCertificate } from '../../../src/provenance/certificates';
import { coseSign1, reserveSizeFor } from '../../../src/provenance/cose';
import { LocalKeySigner } from '../../../src/provenance/signer';
import { fixture } from '../../helpers/fixtures';
import {
  bmffBoxMiddle,
  flipByte,
  jpegScanMiddle,
  makeMp3,
  makeMp4,
  makeWav,
  manifestInput,
  pngChunkMiddle,
  silentLogger,
  tempDir,
} from './helpers';

const TRAINED = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';

describe('Content Credentials signed by the service', () => {
  let dir: string;
  let prov: Provenance;
  let jpeg: Buffer;
  let png: Buffer;
  let mp4: Buffer;

  beforeAll(async () => {
    dir = tempDir('prov-sign');
    prov = await createProvenance({ dataDir: dir, logger: silentLogger });
    jpeg = await prov.sign(fs.readFileSync(fixture('faces', 'obama-1.jpg')), manifestInput());
    png = await prov.sign(
      fs.readFileSync(fixture('media', 'coffee.png')),
      manifestInput({ title: 'coffee' }),
    );
    mp4 = await prov.sign(await makeMp4(path.join(dir, 'clip.mp4')), manifestInput());
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['JPEG', () => jpeg],
    ['PNG', () => png],
    ['MP4', () => mp4],
  ])('reads a signed %s back as valid and trusted with every field of the manifest', async (_name, get) => {
    const s = await prov.read(get());
    expect(s).toMatchObject({
      present: true,
      validationState: 'valid',
      trusted: true,
      verdict: 'valid_trusted',
      digitalSourceType: TRAINED,
      generationId: 'gen_01HTESTGENERATION',
      cameoRefs: ['cameo_7f3a', 'cameo_91bc'],
      softBinding: { alg: 'com.consentry.watermark.v1', payloadHex: '0123456789abcdef' },
      claimGenerator: {
        name: 'consentry',
        version: JSON.parse(fs.readFileSync('package.json', 'utf8')).version,
      },
      failureCodes: [],
      signedAt: '2026-03-04T05:06:07.000Z',
    });
    expect(s.actions[0]).toMatchObject({
      action: 'c2pa.created',
      softwareAgent: 'consentry-clipgen 0.3.1',
      digitalSourceType: TRAINED,
    });
    expect(s.signer).toEqual({ subject: prov.signerInfo().subject, issuer: prov.signerInfo().issuer });
  });

  it.each([
    ['JPEG scan data', () => flipByte(jpeg, jpegScanMiddle(jpeg))],
    ['PNG image data', () => flipByte(png, pngChunkMiddle(png, 'IDAT'))],
    ['MP4 media data', () => flipByte(mp4, bmffBoxMiddle(mp4, 'mdat'))],
  ])('reports tampered when one byte of the %s is flipped', async (_name, make) => {
    const s = await prov.read(make());
    expect(s.verdict).toBe('tampered');
    expect(s.validationState).toBe('invalid');
    expect(s.failureCodes.some((c) => c.endsWith('.mismatch'))).toBe(true);
  });

  it.each([
    ['JPEG', () => jpeg],
    ['PNG', () => png],
    ['MP4', () => mp4],
  ])('reports absent once the manifest is stripped from a %s', async (_name, get) => {
    const stripped = await prov.stripManifest!(get());
    expect(stripped.length).toBeLessThanOrEqual(get().length);
    expect(await prov.read(stripped)).toMatchObject({
      present: false,
      verdict: 'absent',
      validationState: 'absent',
      trusted: null,
    });
  });

  it('leaves a stripped MP4 decodable by ffmpeg', async () => {
    const file = path.join(dir, 'stripped.mp4');
    fs.writeFileSync(file, await prov.stripManifest!(mp4));
    const { stderr } = await runTool(ffmpegBin(), ['-v', 'error', '-i', file, '-f', 'null', '-']);
    expect(stderr.trim()).toBe('');
  });

  it('reports absent for an unsigned fixture image', async () => {
    expect((await prov.read(fs.readFileSync(fixture('faces', 'obama-2.jpg')))).verdict).toBe('absent');
  });

  it('shows the JUMBF manifest store to exiftool as an independent reader', () => {
    const file = path.join(dir, 'signed.jpg');
    fs.writeFileSync(file, jpeg);
    const out = execFileSync('exiftool', ['-JUMBF:all', '-G1', file], { encoding: 'utf8' });
    expect(out).toMatch(/JUMD Label\s*:\s*c2pa/);
    expect(out).toContain('c2pa.created');
    expect(out).toContain(TRAINED);
    expect(out).toMatch(/Claim Generator Info Name\s*:\s*consentry/);
  });

  it('signs and reads files on disk through signFile and readFile', async () => {
    const out = path.join(dir, 'signed-copy.png');
    await prov.signFile(fixture('media', 'coffee.png'), out, manifestInput({ generationId: 'gen_file' }));
    const s = await prov.readFile(out);
    expect(s.verdict).toBe('valid_trusted');
    expect(s.generationId).toBe('gen_file');
  });

  it('keeps reference images as ingredients, with their own manifest when they had one', async () => {
    const signedRef = png;
    const plainRef = fs.readFileSync(fixture('faces', 'obama-2.jpg'));
    const out = await prov.sign(
      fs.readFileSync(fixture('faces', 'obama-1.jpg')),
      manifestInput({
        ingredients: [
          { title: 'signed reference', bytes: signedRef },
          { title: 'plain reference', bytes: plainRef },
        ],
      }),
    );
    expect((await prov.read(out)).verdict).toBe('valid_trusted');
    const store = JSON.parse((await readManifestStore('image/jpeg', out, '{}')).json) as {
      active_manifest: string;
      manifests: Record<
        string,
        { ingredients?: { title: string; relationship: string; active_manifest?: string }[] }
      >;
    };
    const ingredients = store.manifests[store.active_manifest].ingredients ?? [];
    expect(ingredients.map((i) => [i.title, i.relationship])).toEqual([
      ['signed reference', 'inputTo'],
      ['plain reference', 'inputTo'],
    ]);
    const signedIngredient = ingredients[0];
    expect(signedIngredient.active_manifest).toBeDefined();
    expect(Object.keys(store.manifests)).toContain(signedIngredient.active_manifest);
    expect(ingredients[1].active_manifest).toBeUndefined();
  });

  it('signs and reads WAV audio, and strips its manifest', async () => {
    const wav = await prov.sign(await makeWav(path.join(dir, 'tone.wav')), manifestInput());
    expect((await prov.read(wav)).verdict).toBe('valid_trusted');
    expect((await prov.read(await prov.stripManifest!(wav))).verdict).toBe('absent');
  });

  it("exposes a rightsholder's CAWG training-and-mining reservation on a third-party image", async () => {
    // A third party's camera-style manifest, written through the engine directly: it is not
    // something this service would sign, so it does not go through ManifestInput.
    const caDn = { commonName: 'Photo agency CA' };
    const ca = issueCa(caDn);
    const leaf = issueSigningCertificate({ ...ca, subject: caDn }, { commonName: 'Photo agency' });
    const signer = new LocalKeySigner(leaf.privateKey, [leaf.der]);
    const reserveSize = reserveSizeFor(signer);
    const manifest = {
      claim_generator_info: [{ name: 'agency-tool', version: '2.0' }],
      title: 'press photo',
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
          data: {
            entries: {
              'cawg.ai_generative_training': { use: 'notAllowed' },
              'cawg.ai_inference': { use: 'notAllowed' },
              'cawg.ai_training': { use: 'notAllowed' },
              'cawg.data_mining': { use: 'allowed' },
            },
          },
        },
      ],
    };
    const out = await signAsset(
      JSON.stringify(manifest),
      '{}',
      [],
      { alg: 'es256', reserveSize, sign: async (claim) => coseSign1(signer, claim, reserveSize) },
      'image/jpeg',
      fs.readFileSync(fixture('faces', 'obama-2.jpg')),
    );
    const s = await prov.read(Buffer.from(out));
    expect(s.verdict).toBe('valid_untrusted');
    expect(s.claimGenerator).toEqual({ name: 'agency-tool', version: '2.0' });
    expect(s.trainingMining).toMatchObject({ generativeTrainingNotAllowed: true, inferenceNotAllowed: true });
    expect(s.trainingMining?.entries['cawg.data_mining']).toBe('allowed');
    expect((await prov.read(jpeg)).trainingMining).toBeUndefined();
  });

  it('signs and reads MP3 audio', async () => {
    const mp3 = await prov.sign(await makeMp3(path.join(dir, 'tone.mp3')), manifestInput());
    expect((await prov.read(mp3)).verdict).toBe('valid_trusted');
  });
});
