import fs from 'node:fs';
import sharp from 'sharp';
import request from 'supertest';
import { fixture } from '../../helpers/fixtures';
import { backends, makeOperator, signUp, startTestService, type TestService } from '../../helpers/runtime';
import { signWithTrainingMining } from './c2pa-training-mining';
import { rightsholder, type Account } from './optout-helpers';

const read = (...p: string[]) => fs.readFileSync(fixture(...p));

/** A creator's copy of the reference: half size, recompressed as a lower-quality JPEG. */
async function resizedCopy(bytes: Buffer, width = 300, quality = 60): Promise<Buffer> {
  return sharp(bytes).resize({ width }).jpeg({ quality }).toBuffer();
}

describe.each(backends())('reference images, faces and input provenance ($name)', (backend) => {
  let svc: TestService;
  let studio: Account;
  let creator: Account;
  let catEntry: string;
  beforeAll(async () => {
    svc = await startTestService(backend);
    const operator = await makeOperator(svc);
    studio = await rightsholder(svc.app, operator);
    creator = await signUp(svc.app, ['creator']);
    const e = await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({ kind: 'character', canonicalName: 'Chelsea the Studio Cat', policy: 'block' })
      .expect(201);
    catEntry = e.body.id;
  });
  afterAll(() => svc.close());

  const checkImages = (images: Buffer[], who = creator, prompt?: string) =>
    request(svc.app)
      .post('/v1/policy/check')
      .set(who.auth)
      .send({ ...(prompt ? { prompt } : {}), images: images.map((b) => b.toString('base64')) });

  it('stores an uploaded reference image (raw body) in the blob store with its hash, audited', async () => {
    const up = await request(svc.app)
      .post(`/v1/optout/entries/${catEntry}/images`)
      .set(studio.auth)
      .set('content-type', 'image/png')
      .send(read('media', 'chelsea.png'))
      .expect(201);
    expect(up.body.image).toMatchObject({ mediaType: 'image/png', width: expect.any(Number), faces: 0 });
    expect(up.body.entry.images).toHaveLength(1);
    const row = await svc.rt.db.query<{ blob_key: string }>(
      'select blob_key from optout_images where id = $1',
      [up.body.image.id],
    );
    expect(await svc.rt.blobs.has(row.rows[0].blob_key)).toBe(true);
    const audit = await svc.rt.db.query(
      `select * from audit_log where action = 'optout.image_added' and subject_id = $1`,
      [catEntry],
    );
    expect(audit.rows).toHaveLength(1);
  });

  it('refuses a resized, recompressed copy of a reference image and allows an unrelated image', async () => {
    const copy = await resizedCopy(read('media', 'chelsea.png'));
    const refused = await checkImages([copy]).expect(200);
    expect(refused.body.allowed).toBe(false);
    expect(refused.body.matches).toEqual([
      expect.objectContaining({
        entryId: catEntry,
        name: 'Chelsea the Studio Cat',
        rule: 'reference_image',
        message: expect.stringMatching(/Reference image 1 is a copy/),
      }),
    ]);
    const mirrored = await sharp(read('media', 'chelsea.png'))
      .flop()
      .resize({ width: 256 })
      .jpeg({ quality: 70 })
      .toBuffer();
    expect((await checkImages([mirrored]).expect(200)).body.allowed).toBe(false);
    const unrelated = await checkImages([await resizedCopy(read('media', 'coffee.png'))]).expect(200);
    expect(unrelated.body).toEqual({ allowed: true, matches: [] });
  });

  it('refuses a copy with a few percent cropped off its edges (matched against stored crop hashes)', async () => {
    const src = read('media', 'chelsea.png');
    const meta = await sharp(src).metadata();
    const w = meta.width!;
    const h = meta.height!;
    const cropped = await sharp(src)
      .extract({
        left: Math.round(w * 0.05),
        top: Math.round(h * 0.05),
        width: Math.round(w * 0.9),
        height: Math.round(h * 0.9),
      })
      .jpeg({ quality: 80 })
      .toBuffer();
    const r = await checkImages([cropped]).expect(200);
    expect(r.body.allowed).toBe(false);
    expect(r.body.matches[0]).toMatchObject({ entryId: catEntry, rule: 'reference_image' });
  });

  it('accepts reference images as multipart files on upload and on check', async () => {
    const e = await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({ kind: 'work', canonicalName: 'Coffee Still Life No. 5', policy: 'block' })
      .expect(201);
    await request(svc.app)
      .post(`/v1/optout/entries/${e.body.id}/images`)
      .set(studio.auth)
      .attach('image', read('media', 'coffee.png'), { filename: 'coffee.png', contentType: 'image/png' })
      .expect(201);
    const r = await request(svc.app)
      .post('/v1/policy/check')
      .set(creator.auth)
      .field('prompt', 'a cup of coffee on a table')
      .attach('images', await resizedCopy(read('media', 'coffee.png'), 400, 50), {
        filename: 'ref.jpg',
        contentType: 'image/jpeg',
      })
      .expect(200);
    expect(r.body.allowed).toBe(false);
    expect(r.body.matches.map((m: { entryId: string }) => m.entryId)).toEqual([e.body.id]);
  });

  it('refuses uploads and references that are not images with 415 and stores nothing', async () => {
    const imagesBefore = (await svc.rt.db.query('select id from optout_images')).rows.length;
    const bad = await request(svc.app)
      .post(`/v1/optout/entries/${catEntry}/images`)
      .set(studio.auth)
      .set('content-type', 'image/jpeg')
      .send(Buffer.from('this is not a jpeg at all'));
    expect(bad.status).toBe(415);
    expect(bad.body.error.code).toBe('image_unsupported');
    const flat = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const flatUp = await request(svc.app)
      .post(`/v1/optout/entries/${catEntry}/images`)
      .set(studio.auth)
      .set('content-type', 'image/png')
      .send(flat);
    expect(flatUp.status).toBe(422);
    expect(flatUp.body.error.code).toBe('image_too_flat');
    expect((await svc.rt.db.query('select id from optout_images')).rows.length).toBe(imagesBefore);
    const blocksBefore = (await svc.rt.db.query('select id from optout_blocks')).rows.length;
    const notImage = await checkImages(
      [Buffer.from('%PDF-1.4 not an image')],
      creator,
      'Chelsea the Studio Cat',
    );
    expect(notImage.status).toBe(415);
    expect(notImage.body.error.message).toMatch(/Reference image 1/);
    const notBase64 = await request(svc.app)
      .post('/v1/policy/check')
      .set(creator.auth)
      .send({ images: ['***'] });
    expect(notBase64.status).toBe(400);
    expect((await svc.rt.db.query('select id from optout_blocks')).rows.length).toBe(blocksBefore);
  });

  it('refuses a reference image whose Content Credentials reserve it from AI use, and allows the same picture without them', async () => {
    const photo = await sharp(read('media', 'coffee.png'))
      .resize({ width: 320 })
      .flip()
      .jpeg({ quality: 85 })
      .toBuffer();
    const signed = await signWithTrainingMining(svc.dataDir, photo, {
      'cawg.ai_inference': 'notAllowed',
      'cawg.ai_generative_training': 'notAllowed',
    });
    const summary = await svc.rt.provenance.read(signed);
    expect(summary.trainingMining).toMatchObject({
      inferenceNotAllowed: true,
      generativeTrainingNotAllowed: true,
    });
    const r = await checkImages([signed]).expect(200);
    expect(r.body.allowed).toBe(false);
    expect(r.body.matches).toEqual([
      expect.objectContaining({
        rule: 'c2pa_ai_use_reserved',
        kind: 'provenance',
        message: expect.stringMatching(/does not allow use as an input to AI/),
      }),
    ]);
    expect((await checkImages([photo]).expect(200)).body.allowed).toBe(true);
    const allowedUse = await signWithTrainingMining(svc.dataDir, photo, { 'cawg.ai_inference': 'allowed' });
    expect((await checkImages([allowedUse]).expect(200)).body.allowed).toBe(true);
  });

  it("refuses another photograph of a protected real person's face, not a different person's", async () => {
    const e = await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({ kind: 'real_person', canonicalName: 'Barack Obama', policy: 'block' })
      .expect(201);
    const up = await request(svc.app)
      .post(`/v1/optout/entries/${e.body.id}/images`)
      .set(studio.auth)
      .set('content-type', 'image/jpeg')
      .send(read('faces', 'obama-1.jpg'))
      .expect(201);
    expect(up.body.image.faces).toBe(1);
    const sealed = await svc.rt.db.query<{ descriptor_sealed: Buffer }>(
      'select descriptor_sealed from optout_faces where entry_id = $1',
      [e.body.id],
    );
    expect(sealed.rows).toHaveLength(1);
    const other = await checkImages([await resizedCopy(read('faces', 'obama-2.jpg'), 480, 80)]).expect(200);
    expect(other.body.allowed).toBe(false);
    expect(other.body.matches).toEqual([
      expect.objectContaining({
        entryId: e.body.id,
        rule: 'reference_face',
        message: expect.stringMatching(/face of the protected real person Barack Obama/),
      }),
    ]);
    const biden = await checkImages([await resizedCopy(read('faces', 'biden-1.jpg'), 480, 80)]).expect(200);
    expect(biden.body).toEqual({ allowed: true, matches: [] });
    // After rendering: a frame showing the protected person is refused even when the prompt was clean.
    const frame = await sharp(read('faces', 'obama-2.jpg'))
      .resize({ width: 640 })
      .jpeg({ quality: 75 })
      .toBuffer();
    const out = await svc.rt.optout.checkOutputFrames([frame], { requesterId: creator.id });
    expect(out.allowed).toBe(false);
    expect(out.matches).toEqual([
      expect.objectContaining({
        entryId: e.body.id,
        rule: 'reference_face',
        message: expect.stringMatching(/generated clip shows the face/),
      }),
    ]);
  });

  it('checks output frames for the pipeline: a frame copying a reference image is refused and recorded as an output block', async () => {
    const frame = await resizedCopy(read('media', 'chelsea.png'), 640, 75);
    const d = await svc.rt.optout.checkOutputFrames([frame], {
      requesterId: creator.id,
      faceDescriptors: [],
    });
    expect(d.allowed).toBe(false);
    expect(d.matches[0]).toMatchObject({ entryId: catEntry, rule: 'reference_image' });
    const rows = await svc.rt.db.query(
      `select * from optout_blocks where source = 'output' and entry_id = $1`,
      [catEntry],
    );
    expect(rows.rows.length).toBeGreaterThanOrEqual(1);
    const clean = await svc.rt.optout.checkOutputFrames(
      [await resizedCopy(read('media', 'coffee.png').subarray(0), 640)],
      { requesterId: creator.id, faceDescriptors: [] },
    );
    expect(clean.matches.filter((m) => m.entryId === catEntry)).toEqual([]);
  });
});
