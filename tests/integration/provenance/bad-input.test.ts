import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, Invalid, NotFound, PayloadTooLarge, UnsupportedMedia } from '../../../src/http/errors';
import { createProvenance, type ManifestSummary, type Provenance } from '../../../src/provenance';
import { fixture } from '../../helpers/fixtures';
import { jpegApp11Segments, makeMp4, manifestInput, silentLogger, tempDir } from './helpers';

/**
 * Every hostile input must end in a verdict or a 4xx error, and the WASM engine must still read a
 * good file right after it.
 */
describe('reading bad input', () => {
  let dir: string;
  let prov: Provenance;
  let goodJpeg: Buffer;
  let goodPng: Buffer;
  let goodMp4: Buffer;

  beforeAll(async () => {
    dir = tempDir('prov-bad');
    prov = await createProvenance({ dataDir: dir, logger: silentLogger });
    goodJpeg = await prov.sign(fs.readFileSync(fixture('faces', 'obama-1.jpg')), manifestInput());
    goodPng = await prov.sign(fs.readFileSync(fixture('media', 'coffee.png')), manifestInput());
    goodMp4 = await prov.sign(await makeMp4(path.join(dir, 'clip.mp4'), { seconds: 1 }), manifestInput());
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function outcome(p: Promise<ManifestSummary>): Promise<string> {
    try {
      const s = await p;
      return `verdict:${s.verdict}`;
    } catch (e) {
      if (!(e instanceof AppError) || e.status < 400 || e.status >= 500) throw e;
      return `error:${e.constructor.name}`;
    }
  }

  async function expectGoodReadAfter(): Promise<void> {
    for (const good of [goodJpeg, goodMp4]) expect((await prov.read(good)).verdict).toBe('valid_trusted');
  }

  it('refuses a zero-byte file as invalid, then still reads a good file', async () => {
    await expect(prov.read(Buffer.alloc(0))).rejects.toBeInstanceOf(Invalid);
    await expectGoodReadAfter();
  });

  it.each([
    ['JPEG cut inside its headers', () => goodJpeg.subarray(0, 1000), ['error:Invalid', 'verdict:invalid']],
    [
      'JPEG cut inside its image data',
      () => goodJpeg.subarray(0, goodJpeg.length - 20000),
      ['verdict:tampered'],
    ],
    [
      'PNG cut in half',
      () => goodPng.subarray(0, goodPng.length >> 1),
      ['error:Invalid', 'verdict:tampered', 'verdict:invalid'],
    ],
    [
      'MP4 cut in half',
      () => goodMp4.subarray(0, goodMp4.length >> 1),
      ['error:Invalid', 'verdict:tampered', 'verdict:invalid'],
    ],
    [
      'MP4 cut after its first box',
      () => goodMp4.subarray(0, 40),
      ['error:Invalid', 'verdict:absent', 'verdict:invalid'],
    ],
  ])(
    'gives a clear outcome for a truncated file (%s), then still reads a good file',
    async (_name, make, allowed) => {
      expect(allowed).toContain(await outcome(prov.read(make())));
      await expectGoodReadAfter();
    },
  );

  it('judges a file whose extension lies by its bytes', async () => {
    const liar = path.join(dir, 'really-a-png.mp4');
    fs.writeFileSync(liar, goodPng);
    expect((await prov.readFile(liar)).verdict).toBe('valid_trusted');
    const text = path.join(dir, 'notes.jpg');
    fs.writeFileSync(text, 'this is plain text, not an image\n');
    await expect(prov.readFile(text)).rejects.toBeInstanceOf(UnsupportedMedia);
    await expectGoodReadAfter();
  });

  it('gives a clear outcome for random bytes behind a valid magic number', async () => {
    for (const magic of [
      Buffer.from([0xff, 0xd8, 0xff]),
      Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
      Buffer.from('\0\0\0\x18ftypisom', 'latin1'),
    ]) {
      const junk = Buffer.concat([magic, crypto.randomBytes(50_000)]);
      expect(['error:Invalid', 'verdict:absent', 'verdict:invalid']).toContain(
        await outcome(prov.read(junk)),
      );
      await expectGoodReadAfter();
    }
  });

  it('does not call a JPEG carrying two manifest stores valid', async () => {
    const other = await prov.sign(
      fs.readFileSync(fixture('faces', 'obama-2.jpg')),
      manifestInput({ generationId: 'gen_other' }),
    );
    const extra = Buffer.concat(jpegApp11Segments(other));
    const twoStores = Buffer.concat([goodJpeg.subarray(0, 2), extra, goodJpeg.subarray(2)]);
    const o = await outcome(prov.read(twoStores));
    expect(['verdict:invalid', 'verdict:tampered', 'error:Invalid']).toContain(o);
    await expectGoodReadAfter();
  });

  it('reports a manifest store with broken box structure as invalid, and edited assertions as tampered', async () => {
    const [first] = jpegApp11Segments(goodJpeg);
    const start = goodJpeg.indexOf(first);
    for (const offset of [40, Math.floor(first.length / 2)]) {
      const broken = Buffer.from(goodJpeg);
      crypto.randomBytes(32).copy(broken, start + offset);
      const s = await prov.read(broken);
      expect(s).toMatchObject({ present: true, validationState: 'invalid', verdict: 'invalid' });
      expect(s.failureCodes[0]).toMatch(/^manifest\.unreadable\./);
      await expectGoodReadAfter();
    }
    const edited = Buffer.from(goodJpeg);
    const at = edited.indexOf(Buffer.from('gen_01HTESTGENERATION'));
    edited.write('gen_01HFORGEDGENERATN', at, 'latin1');
    const s = await prov.read(edited);
    expect(s.verdict).toBe('tampered');
    expect(s.failureCodes).toContain('assertion.hashedURI.mismatch');
    await expectGoodReadAfter();
  });

  it('refuses a 2 GB upload on disk as too large without loading it', async () => {
    const huge = path.join(dir, 'huge.mp4');
    const fd = fs.openSync(huge, 'w');
    fs.writeSync(fd, goodMp4.subarray(0, 64));
    fs.ftruncateSync(fd, 2 * 1024 * 1024 * 1024);
    fs.closeSync(fd);
    const before = process.memoryUsage().rss;
    await expect(prov.readFile(huge)).rejects.toBeInstanceOf(PayloadTooLarge);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    await expectGoodReadAfter();
  });

  it('answers not found for a missing path and invalid for a directory', async () => {
    await expect(prov.readFile(path.join(dir, 'missing.mp4'))).rejects.toBeInstanceOf(NotFound);
    await expect(prov.readFile(dir)).rejects.toBeInstanceOf(Invalid);
    await expect(
      prov.signFile(path.join(dir, 'missing.png'), path.join(dir, 'out.png'), manifestInput()),
    ).rejects.toBeInstanceOf(NotFound);
    expect(fs.existsSync(path.join(dir, 'out.png'))).toBe(false);
  });

  it('applies a configured size limit to reads and signing', async () => {
    const small = await createProvenance({ dataDir: dir, maxBytes: 10_000, logger: silentLogger });
    await expect(small.read(goodJpeg)).rejects.toBeInstanceOf(PayloadTooLarge);
    await expect(
      small.sign(fs.readFileSync(fixture('faces', 'obama-1.jpg')), manifestInput()),
    ).rejects.toBeInstanceOf(PayloadTooLarge);
    await expectGoodReadAfter();
  });

  it('refuses to sign a truncated or unsupported file with a 4xx error, then still signs', async () => {
    await expect(prov.sign(goodJpeg.subarray(0, 500), manifestInput())).rejects.toBeInstanceOf(Invalid);
    await expect(prov.sign(Buffer.from('GIF89a....'), manifestInput())).rejects.toBeInstanceOf(
      UnsupportedMedia,
    );
    const again = await prov.sign(fs.readFileSync(fixture('media', 'coffee.png')), manifestInput());
    expect((await prov.read(again)).verdict).toBe('valid_trusted');
  });

  it('serves overlapping reads and signs concurrently without mixing their results', async () => {
    const png = fs.readFileSync(fixture('media', 'coffee.png'));
    const results = await Promise.all([
      prov.read(goodJpeg),
      prov.sign(png, manifestInput({ generationId: 'gen_concurrent' })).then((b) => prov.read(b)),
      prov.read(Buffer.alloc(0)).catch(() => null),
      prov.read(goodMp4),
    ]);
    expect(results[0]?.generationId).toBe('gen_01HTESTGENERATION');
    expect(results[1]?.generationId).toBe('gen_concurrent');
    expect(results[2]).toBeNull();
    expect(results[3]?.verdict).toBe('valid_trusted');
  });
});
