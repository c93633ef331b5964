import type { Queryable } from '../db/database';
import { NotFound } from '../http/errors';
import type { MediaFingerprint } from './fingerprint';
import { bandsOf, hammingHex } from './hamming';
import { ledgerEntryInputSchema, type LedgerEntryInput, type LedgerRecord } from './ledger-types';

/** Hash kinds in ledger_hash_bands. */
const KIND_FULL = 0;
const KIND_CENTRE = 1;
const KIND_AUDIO = 2;

/** Frame hashes this close (of 64 bits) are the same picture after re-encoding, scaling or export. */
export const FRAME_MATCH_BITS = 10;
/** Audio sub-fingerprints this close (of 32 bits) are the same half-second of sound. */
export const AUDIO_MATCH_BITS = 7;
/** At most this many candidate entries (those sharing the most bands) are checked bit by bit. */
const MAX_CANDIDATES = 25;

interface Row {
  payload_hex: string;
  generation_id: string;
  creator_id: string;
  cameo_ids: string[];
  content_sha256: string;
  blob_key: string;
  mime_type: string;
  duration_sec: number;
  width: number;
  height: number;
  manifest: unknown;
  manifest_store_json: string | null;
  fingerprint: MediaFingerprint | string;
  created_at: Date | string;
  taken_down_at: Date | string | null;
  takedown_reason: string | null;
}

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString();
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function toRecord(r: Row): LedgerRecord {
  const fp = json<MediaFingerprint>(r.fingerprint);
  return {
    payloadHex: r.payload_hex,
    generationId: r.generation_id,
    creatorId: r.creator_id,
    cameoIds: r.cameo_ids ?? [],
    contentSha256: r.content_sha256,
    blobKey: r.blob_key,
    mimeType: r.mime_type,
    durationSec: Number(r.duration_sec),
    width: Number(r.width),
    height: Number(r.height),
    manifest: json<unknown>(r.manifest as string),
    manifestStoreJson: r.manifest_store_json,
    fingerprint: {
      frameHashes: fp.frameHashes ?? [],
      audioHashes: fp.audioHashes ?? [],
      centreHashes: fp.centreHashes ?? [],
    },
    createdAt: iso(r.created_at),
    takenDownAt: r.taken_down_at ? iso(r.taken_down_at) : null,
    takedownReason: r.takedown_reason,
  };
}

function bandRows(fp: MediaFingerprint): { kinds: number[]; bands: number[]; values: number[] } {
  const kinds: number[] = [];
  const bands: number[] = [];
  const values: number[] = [];
  const add = (kind: number, hashes: string[] | undefined) => {
    const seen = new Set<string>();
    for (const h of hashes ?? []) {
      bandsOf(h).forEach((v, i) => {
        const k = `${i}:${v}`;
        if (seen.has(k)) return;
        seen.add(k);
        kinds.push(kind);
        bands.push(i);
        values.push(v);
      });
    }
  };
  add(KIND_FULL, fp.frameHashes);
  add(KIND_CENTRE, fp.centreHashes);
  add(KIND_AUDIO, fp.audioHashes);
  return { kinds, bands, values };
}

export interface FingerprintMatch {
  record: LedgerRecord;
  /** Query frames with a stored frame (whole or centre) within FRAME_MATCH_BITS. */
  matchedFrames: number;
  /** Mean bit distance of those matched frames (0 when only audio matched). */
  meanDistance: number;
  /** Query audio sub-fingerprints with a stored one within AUDIO_MATCH_BITS. */
  matchedAudio: number;
  queryFrames: number;
  queryAudio: number;
}

function bestDistance(q: string, stored: string[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (const s of stored) {
    const d = hammingHex(q, s);
    if (d < best) best = d;
    if (best === 0) break;
  }
  return best;
}

function scoreCandidate(fp: MediaFingerprint, rec: LedgerRecord): FingerprintMatch {
  const storedFrames = [...rec.fingerprint.frameHashes, ...(rec.fingerprint.centreHashes ?? [])];
  let matchedFrames = 0;
  let total = 0;
  for (const q of fp.frameHashes) {
    const d = bestDistance(q, storedFrames);
    if (d <= FRAME_MATCH_BITS) {
      matchedFrames++;
      total += d;
    }
  }
  let matchedAudio = 0;
  for (const q of fp.audioHashes)
    if (bestDistance(q, rec.fingerprint.audioHashes) <= AUDIO_MATCH_BITS) matchedAudio++;
  return {
    record: rec,
    matchedFrames,
    meanDistance: matchedFrames ? total / matchedFrames : 0,
    matchedAudio,
    queryFrames: fp.frameHashes.length,
    queryAudio: fp.audioHashes.length,
  };
}

export const ledgerRepository = {
  async insert(tx: Queryable, e: LedgerEntryInput): Promise<void> {
    const v = ledgerEntryInputSchema.parse(e);
    await tx.query(
      `insert into ledger_entries (payload_hex, generation_id, creator_id, cameo_ids, content_sha256, blob_key, mime_type,
         duration_sec, width, height, manifest, manifest_store_json, fingerprint)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13::jsonb)`,
      [
        v.payloadHex,
        v.generationId,
        v.creatorId,
        v.cameoIds,
        v.contentSha256,
        v.blobKey,
        v.mimeType,
        v.durationSec,
        v.width,
        v.height,
        JSON.stringify(v.manifest ?? null),
        v.manifestStoreJson,
        JSON.stringify(v.fingerprint),
      ],
    );
    const { kinds, bands, values } = bandRows(v.fingerprint);
    if (kinds.length) {
      await tx.query(
        `insert into ledger_hash_bands (payload_hex, kind, band, value)
         select $1, k, b, x from unnest($2::smallint[], $3::smallint[], $4::integer[]) as t(k, b, x)`,
        [v.payloadHex, kinds, bands, values],
      );
    }
  },

  async findByPayload(db: Queryable, payloadHex: string): Promise<LedgerRecord | null> {
    if (!/^[0-9a-fA-F]{16}$/.test(payloadHex)) return null;
    const r = await db.query<Row>('select * from ledger_entries where payload_hex = $1', [
      payloadHex.toLowerCase(),
    ]);
    return r.rows[0] ? toRecord(r.rows[0]) : null;
  },

  /** Which of these payloads the ledger issued (for the watermark's ledger-aided decision). */
  async issuedAmong(db: Queryable, payloads: string[]): Promise<Set<string>> {
    const wanted = [
      ...new Set(payloads.filter((p) => /^[0-9a-fA-F]{16}$/.test(p)).map((p) => p.toLowerCase())),
    ];
    if (!wanted.length) return new Set();
    const r = await db.query<{ payload_hex: string }>(
      'select payload_hex from ledger_entries where payload_hex = any($1::text[])',
      [wanted],
    );
    return new Set(r.rows.map((x) => x.payload_hex));
  },

  /**
   * The identifiers issued at or after `since` (all of them when null), with the newest creation
   * time among them, for the verifier's matched watermark test.
   */
  async issuedPayloadsSince(
    db: Queryable,
    since: Date | null,
  ): Promise<{ payloads: string[]; newest: Date | null }> {
    const r = await db.query<{ payload_hex: string; created_at: Date | string }>(
      since
        ? 'select payload_hex, created_at from ledger_entries where created_at >= $1 order by created_at'
        : 'select payload_hex, created_at from ledger_entries order by created_at',
      since ? [since.toISOString()] : [],
    );
    const last = r.rows.at(-1);
    return { payloads: r.rows.map((x) => x.payload_hex), newest: last ? new Date(last.created_at) : null };
  },

  /** How many identifiers the ledger has issued (entries are never deleted: takedowns keep them). */
  async countIssued(db: Queryable): Promise<number> {
    const r = await db.query<{ n: string | number }>('select count(*) as n from ledger_entries');
    return Number(r.rows[0].n);
  },

  async findByContentSha256(db: Queryable, sha: string): Promise<LedgerRecord | null> {
    const r = await db.query<Row>(
      'select * from ledger_entries where content_sha256 = $1 order by created_at limit 1',
      [sha.toLowerCase()],
    );
    return r.rows[0] ? toRecord(r.rows[0]) : null;
  },

  async findByGenerationId(db: Queryable, id: string): Promise<LedgerRecord | null> {
    const r = await db.query<Row>('select * from ledger_entries where generation_id = $1', [id]);
    return r.rows[0] ? toRecord(r.rows[0]) : null;
  },

  /**
   * The entry whose fingerprint is closest to fp. Candidates come from the band index (any
   * 16-bit band equal); only they are compared bit by bit. Returns the best candidate by matched
   * frames (then audio), or null when none shares a frame or a half-second of sound.
   */
  async nearestByFingerprint(db: Queryable, fp: MediaFingerprint): Promise<FingerprintMatch | null> {
    const kinds: number[] = [];
    const bands: number[] = [];
    const values: number[] = [];
    for (const h of fp.frameHashes) {
      bandsOf(h).forEach((v, i) => {
        for (const kind of [KIND_FULL, KIND_CENTRE]) {
          kinds.push(kind);
          bands.push(i);
          values.push(v);
        }
      });
    }
    for (const h of fp.audioHashes) {
      bandsOf(h).forEach((v, i) => {
        kinds.push(KIND_AUDIO);
        bands.push(i);
        values.push(v);
      });
    }
    if (!kinds.length) return null;
    const cand = await db.query<{ payload_hex: string; hits: number }>(
      `select h.payload_hex, count(*)::int as hits
         from ledger_hash_bands h
         join (select distinct k, b, x from unnest($1::smallint[], $2::smallint[], $3::integer[]) as q(k, b, x)) q
           on h.kind = q.k and h.band = q.b and h.value = q.x
        group by h.payload_hex
        order by hits desc
        limit ${MAX_CANDIDATES}`,
      [kinds, bands, values],
    );
    if (!cand.rows.length) return null;
    const rows = await db.query<Row>('select * from ledger_entries where payload_hex = any($1::text[])', [
      cand.rows.map((c) => c.payload_hex),
    ]);
    let best: FingerprintMatch | null = null;
    for (const row of rows.rows) {
      const m = scoreCandidate(fp, toRecord(row));
      if (m.matchedFrames === 0 && m.matchedAudio === 0) continue;
      if (
        !best ||
        m.matchedFrames > best.matchedFrames ||
        (m.matchedFrames === best.matchedFrames &&
          (m.matchedAudio > best.matchedAudio ||
            (m.matchedAudio === best.matchedAudio && m.meanDistance < best.meanDistance)))
      ) {
        best = m;
      }
    }
    return best;
  },

  async markTakenDown(tx: Queryable, generationId: string, reason: string): Promise<void> {
    const r = await tx.query(
      'update ledger_entries set taken_down_at = coalesce(taken_down_at, now()), takedown_reason = $2 where generation_id = $1',
      [generationId, reason],
    );
    if (!r.rowCount)
      throw new NotFound('ledger_entry_not_found', `No ledger entry for generation ${generationId}.`);
  },
};
