import crypto from 'node:crypto';
import {
  ledgerRepository,
  newLedgerPayload,
  type LedgerEntryInput,
  type MediaFingerprint,
} from '../../../src/ledger';
import { migrate } from '../../../src/db/migrate';
import type { Database } from '../../../src/db/database';
import { backends } from '../../helpers/runtime';

const rnd64 = () => crypto.randomBytes(8).toString('hex');
const rnd32 = () => crypto.randomBytes(4).toString('hex');

/** Flips `bits` distinct random bits of a hex hash. */
function flip(hex: string, bits: number): string {
  const n = BigInt(`0x${hex}`);
  const width = hex.length * 4;
  const picked = new Set<number>();
  while (picked.size < bits) picked.add(crypto.randomInt(width));
  let v = n;
  for (const b of picked) v ^= 1n << BigInt(b);
  return v.toString(16).padStart(hex.length, '0');
}

function entry(fp: MediaFingerprint, over: Partial<LedgerEntryInput> = {}): LedgerEntryInput {
  return {
    payloadHex: newLedgerPayload(),
    generationId: crypto.randomUUID(),
    creatorId: crypto.randomUUID(),
    cameoIds: ['cameo-1'],
    contentSha256: crypto.randomBytes(32).toString('hex'),
    blobKey: crypto.randomBytes(32).toString('hex'),
    mimeType: 'video/mp4',
    durationSec: 10,
    width: 1280,
    height: 720,
    manifest: { verdict: 'valid_trusted', generationId: 'x' },
    manifestStoreJson: '{"manifests":{}}',
    fingerprint: fp,
    ...over,
  };
}

const randomFp = (): MediaFingerprint => ({
  frameHashes: Array.from({ length: 20 }, rnd64),
  centreHashes: Array.from({ length: 20 }, rnd64),
  audioHashes: Array.from({ length: 18 }, rnd32),
});

describe.each(backends())('ledger repository ($name)', (backend) => {
  let db: Database;
  let drop: () => Promise<void>;
  const entries: LedgerEntryInput[] = [];
  beforeAll(async () => {
    ({ db, drop } = await backend.openDb());
    await migrate(db);
    for (let i = 0; i < 150; i++) {
      const e = entry(randomFp());
      entries.push(e);
      await db.transaction((tx) => ledgerRepository.insert(tx, e));
    }
  });
  afterAll(() => drop());

  it('finds an entry by payload, content hash and generation id, with every field back', async () => {
    const e = entries[42];
    const byPayload = await ledgerRepository.findByPayload(db, e.payloadHex.toUpperCase());
    expect(byPayload).toMatchObject({ ...e, takenDownAt: null, takedownReason: null });
    expect(Date.parse(byPayload!.createdAt)).not.toBeNaN();
    expect((await ledgerRepository.findByContentSha256(db, e.contentSha256))?.payloadHex).toBe(e.payloadHex);
    expect((await ledgerRepository.findByGenerationId(db, e.generationId))?.payloadHex).toBe(e.payloadHex);
    expect(await ledgerRepository.findByPayload(db, rnd64())).toBeNull();
    expect(await ledgerRepository.findByPayload(db, 'not hex')).toBeNull();
  });

  it('says which payloads it issued among a list (case and junk tolerated), and how many it issued', async () => {
    const stranger = rnd64();
    const hits = await ledgerRepository.issuedAmong(db, [
      entries[3].payloadHex.toUpperCase(),
      entries[7].payloadHex,
      entries[7].payloadHex,
      stranger,
      'not hex',
    ]);
    expect([...hits].sort()).toEqual([entries[3].payloadHex, entries[7].payloadHex].sort());
    expect(await ledgerRepository.issuedAmong(db, [])).toEqual(new Set());
    expect(await ledgerRepository.countIssued(db)).toBe(entries.length);
  });

  it('lists the payloads issued since a moment (all of them without one), oldest first, with the newest creation time', async () => {
    const all = await ledgerRepository.issuedPayloadsSince(db, null);
    expect([...all.payloads].sort()).toEqual(entries.map((e) => e.payloadHex).sort());
    expect(all.newest).toBeInstanceOf(Date);
    const later = await ledgerRepository.issuedPayloadsSince(db, new Date(all.newest!.getTime() + 1000));
    expect(later).toEqual({ payloads: [], newest: null });
    const last = await ledgerRepository.issuedPayloadsSince(db, all.newest);
    expect(last.payloads.length).toBeGreaterThanOrEqual(1);
    expect(all.payloads).toEqual(expect.arrayContaining(last.payloads));
  });

  it('refuses a second entry with the same payload or generation, and malformed input', async () => {
    const e = entries[0];
    await expect(
      db.transaction((tx) => ledgerRepository.insert(tx, entry(randomFp(), { payloadHex: e.payloadHex }))),
    ).rejects.toThrow();
    await expect(
      db.transaction((tx) =>
        ledgerRepository.insert(tx, entry(randomFp(), { generationId: e.generationId })),
      ),
    ).rejects.toThrow();
    await expect(
      db.transaction((tx) => ledgerRepository.insert(tx, entry(randomFp(), { payloadHex: 'XYZ' }))),
    ).rejects.toThrow(/payloadHex/);
  });

  it('finds the nearest entry from frame hashes a few bits off, among many', async () => {
    const target = entries[97];
    const query: MediaFingerprint = {
      frameHashes: target.fingerprint.frameHashes.slice(0, 8).map((h) => flip(h, 5)),
      audioHashes: [],
    };
    const m = await ledgerRepository.nearestByFingerprint(db, query);
    expect(m?.record.payloadHex).toBe(target.payloadHex);
    expect(m?.matchedFrames).toBe(8);
    expect(m?.meanDistance).toBe(5);
  });

  it('matches a cropped copy whose whole frames are the original centre hashes', async () => {
    const target = entries[13];
    const query: MediaFingerprint = {
      frameHashes: target.fingerprint.centreHashes!.slice(3, 9).map((h) => flip(h, 2)),
      audioHashes: [],
    };
    const m = await ledgerRepository.nearestByFingerprint(db, query);
    expect(m?.record.payloadHex).toBe(target.payloadHex);
    expect(m?.matchedFrames).toBe(6);
  });

  it('matches sound alone by its audio sub-fingerprints, each a bit off', async () => {
    const target = entries[120];
    // One flipped bit leaves one of a sub-fingerprint's two 16-bit index bands intact. (Two random
    // flips miss both bands of a sub-fingerprint about half the time, so six of them all miss the
    // index in about 2% of runs: a property of the band index, not of this match.)
    const m = await ledgerRepository.nearestByFingerprint(db, {
      frameHashes: [],
      audioHashes: target.fingerprint.audioHashes.slice(0, 6).map((h) => flip(h, 1)),
    });
    expect(m?.record.payloadHex).toBe(target.payloadHex);
    expect(m?.matchedAudio).toBe(6);
    expect(m?.matchedFrames).toBe(0);
  });

  it('finds nothing for a fingerprint of unrelated media', async () => {
    const m = await ledgerRepository.nearestByFingerprint(db, {
      frameHashes: Array.from({ length: 10 }, rnd64),
      audioHashes: [],
    });
    // Random 64-bit hashes may share a 16-bit band by chance, but never land within the match distance.
    expect(m?.matchedFrames ?? 0).toBe(0);
    expect(await ledgerRepository.nearestByFingerprint(db, { frameHashes: [], audioHashes: [] })).toBeNull();
  });

  it('marks a generation taken down with its reason, and refuses an unknown one', async () => {
    const e = entries[7];
    await db.transaction((tx) => ledgerRepository.markTakenDown(tx, e.generationId, 'cameo revoked'));
    const r = await ledgerRepository.findByGenerationId(db, e.generationId);
    expect(r?.takedownReason).toBe('cameo revoked');
    expect(Date.parse(r!.takenDownAt!)).not.toBeNaN();
    await expect(
      db.transaction((tx) => ledgerRepository.markTakenDown(tx, crypto.randomUUID(), 'x')),
    ).rejects.toMatchObject({ status: 404 });
  });
});
