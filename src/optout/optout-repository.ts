/** The only SQL of the opt-out registry. Functions take a Queryable so they run in a caller's transaction. */
import type { Queryable } from '../db/database';
import type { EntryKind, EntryPolicy } from './matching';

export interface Licensee {
  id: string;
  handle: string;
}

export interface EntryRow {
  id: string;
  owner_id: string;
  owner_name: string;
  kind: EntryKind;
  canonical_name: string;
  aliases: string[];
  descriptions: string[];
  policy: EntryPolicy;
  licensees: Licensee[];
  status: 'active' | 'withdrawn';
  created_at: Date;
  updated_at: Date;
  withdrawn_at: Date | null;
}

export interface ImageRow {
  id: string;
  entry_id: string;
  blob_key: string;
  media_type: string;
  width: number;
  height: number;
  phash: Buffer;
  phash_flipped: Buffer;
  /** 32-byte hashes of crops of the reference, concatenated. */
  phash_crops: Buffer;
  quality: number;
  created_at: Date;
  faces: number;
}

export interface FaceRow {
  id: string;
  entry_id: string;
  wrapped_key: Buffer;
  descriptor_sealed: Buffer;
}

export interface BlockRow {
  id: string;
  entry_id: string;
  owner_id: string;
  source: string;
  rule: string;
  prompt: string | null;
  at: Date;
  wrapped_key: Buffer;
  requester_sealed: Buffer;
  released_requester_id: string | null;
  released_at: Date | null;
  released_by: string | null;
}

/** The fields an entry write sets (new or replacing the old values). */
export interface EntryFields {
  id: string;
  ownerId: string;
  ownerName: string;
  kind: EntryKind;
  canonicalName: string;
  aliases: string[];
  descriptions: string[];
  policy: EntryPolicy;
  licensees: Licensee[];
}

/** jsonb comes back parsed from pg and PGlite alike, but a text fallback costs nothing. */
function json<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

function entryRow(r: EntryRow): EntryRow {
  return { ...r, aliases: json(r.aliases), descriptions: json(r.descriptions), licensees: json(r.licensees) };
}

function bytes(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string' && v.startsWith('\\x')) return Buffer.from(v.slice(2), 'hex');
  throw new Error('expected bytea');
}

// Bulk writes go through jsonb_to_recordset: one statement per batch on PostgreSQL and PGlite alike.
const BATCH = 1000;

export const optoutRepository = {
  async insertEntries(tx: Queryable, entries: EntryFields[]): Promise<void> {
    for (let i = 0; i < entries.length; i += BATCH) {
      const batch = entries.slice(i, i + BATCH).map((e) => ({
        id: e.id,
        owner_id: e.ownerId,
        owner_name: e.ownerName,
        kind: e.kind,
        canonical_name: e.canonicalName,
        aliases: e.aliases,
        descriptions: e.descriptions,
        policy: e.policy,
        licensees: e.licensees,
      }));
      await tx.query(
        `insert into optout_entries (id, owner_id, owner_name, kind, canonical_name, aliases, descriptions, policy, licensees)
         select id, owner_id, owner_name, kind, canonical_name, aliases, descriptions, policy, licensees
           from jsonb_to_recordset($1::jsonb) as x(id uuid, owner_id uuid, owner_name text, kind text, canonical_name text,
                aliases jsonb, descriptions jsonb, policy text, licensees jsonb)`,
        [JSON.stringify(batch)],
      );
    }
  },

  async updateEntries(tx: Queryable, entries: EntryFields[]): Promise<void> {
    for (let i = 0; i < entries.length; i += BATCH) {
      const batch = entries.slice(i, i + BATCH).map((e) => ({
        id: e.id,
        kind: e.kind,
        canonical_name: e.canonicalName,
        aliases: e.aliases,
        descriptions: e.descriptions,
        policy: e.policy,
        licensees: e.licensees,
      }));
      await tx.query(
        `update optout_entries e
            set kind = x.kind, canonical_name = x.canonical_name, aliases = x.aliases, descriptions = x.descriptions,
                policy = x.policy, licensees = x.licensees, updated_at = now()
           from jsonb_to_recordset($1::jsonb) as x(id uuid, kind text, canonical_name text, aliases jsonb,
                descriptions jsonb, policy text, licensees jsonb)
          where e.id = x.id and e.status = 'active'`,
        [JSON.stringify(batch)],
      );
    }
  },

  async withdraw(tx: Queryable, id: string): Promise<EntryRow | null> {
    const r = await tx.query<EntryRow>(
      `update optout_entries set status = 'withdrawn', withdrawn_at = now(), updated_at = now()
        where id = $1 and status = 'active' returning *`,
      [id],
    );
    return r.rows[0] ? entryRow(r.rows[0]) : null;
  },

  async findEntry(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<EntryRow | null> {
    const r = await db.query<EntryRow>(
      `select * from optout_entries where id = $1${opts.forUpdate ? ' for update' : ''}`,
      [id],
    );
    return r.rows[0] ? entryRow(r.rows[0]) : null;
  },

  async findOwnerEntries(db: Queryable, ownerId: string, ids: string[]): Promise<EntryRow[]> {
    if (ids.length === 0) return [];
    const r = await db.query<EntryRow>(
      'select * from optout_entries where owner_id = $1 and id = any($2::uuid[])',
      [ownerId, ids],
    );
    return r.rows.map(entryRow);
  },

  async listOwnerEntries(
    db: Queryable,
    ownerId: string,
    q: { status?: 'active' | 'withdrawn'; limit?: number; offset?: number },
  ): Promise<EntryRow[]> {
    const r = await db.query<EntryRow>(
      `select * from optout_entries where owner_id = $1 and ($2::text is null or status = $2)
        order by created_at asc, id asc limit $3 offset $4`,
      [ownerId, q.status ?? null, q.limit ?? 1_000_000, q.offset ?? 0],
    );
    return r.rows.map(entryRow);
  },

  async insertImage(
    tx: Queryable,
    i: {
      id: string;
      entryId: string;
      blobKey: string;
      mediaType: string;
      width: number;
      height: number;
      phash: Buffer;
      phashFlipped: Buffer;
      phashCrops: Buffer;
      quality: number;
    },
  ): Promise<void> {
    await tx.query(
      `insert into optout_images (id, entry_id, blob_key, media_type, width, height, phash, phash_flipped, phash_crops, quality)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        i.id,
        i.entryId,
        i.blobKey,
        i.mediaType,
        i.width,
        i.height,
        i.phash,
        i.phashFlipped,
        i.phashCrops,
        i.quality,
      ],
    );
  },

  async insertFace(
    tx: Queryable,
    f: { id: string; imageId: string; entryId: string; wrappedKey: Buffer; sealed: Buffer },
  ): Promise<void> {
    await tx.query(
      'insert into optout_faces (id, image_id, entry_id, wrapped_key, descriptor_sealed) values ($1, $2, $3, $4, $5)',
      [f.id, f.imageId, f.entryId, f.wrappedKey, f.sealed],
    );
  },

  async imagesOf(db: Queryable, entryIds: string[]): Promise<ImageRow[]> {
    if (entryIds.length === 0) return [];
    const r = await db.query<ImageRow>(
      `select i.*, (select count(*)::int from optout_faces f where f.image_id = i.id) as faces
         from optout_images i where i.entry_id = any($1::uuid[]) order by i.created_at asc, i.id asc`,
      [entryIds],
    );
    return r.rows.map((x) => ({
      ...x,
      phash: bytes(x.phash),
      phash_flipped: bytes(x.phash_flipped),
      phash_crops: bytes(x.phash_crops),
      faces: Number(x.faces),
    }));
  },

  async facesOf(db: Queryable, entryIds: string[]): Promise<FaceRow[]> {
    if (entryIds.length === 0) return [];
    const r = await db.query<FaceRow>(
      'select id, entry_id, wrapped_key, descriptor_sealed from optout_faces where entry_id = any($1::uuid[])',
      [entryIds],
    );
    return r.rows.map((x) => ({
      ...x,
      wrapped_key: bytes(x.wrapped_key),
      descriptor_sealed: bytes(x.descriptor_sealed),
    }));
  },

  /** Every active entry with its reference material: what a process's in-memory index is built from. */
  async activeEntries(db: Queryable): Promise<EntryRow[]> {
    const r = await db.query<EntryRow>(`select * from optout_entries where status = 'active'`);
    return r.rows.map(entryRow);
  },

  async entriesByIds(db: Queryable, ids: string[]): Promise<EntryRow[]> {
    if (ids.length === 0) return [];
    const r = await db.query<EntryRow>('select * from optout_entries where id = any($1::uuid[])', [ids]);
    return r.rows.map(entryRow);
  },

  async allImages(db: Queryable): Promise<ImageRow[]> {
    const r = await db.query<ImageRow>(
      `select i.*, 0 as faces from optout_images i join optout_entries e on e.id = i.entry_id where e.status = 'active'`,
    );
    return r.rows.map((x) => ({
      ...x,
      phash: bytes(x.phash),
      phash_flipped: bytes(x.phash_flipped),
      phash_crops: bytes(x.phash_crops),
      faces: 0,
    }));
  },

  async allFaces(db: Queryable): Promise<FaceRow[]> {
    const r = await db.query<FaceRow>(
      `select f.id, f.entry_id, f.wrapped_key, f.descriptor_sealed
         from optout_faces f join optout_entries e on e.id = f.entry_id where e.status = 'active'`,
    );
    return r.rows.map((x) => ({
      ...x,
      wrapped_key: bytes(x.wrapped_key),
      descriptor_sealed: bytes(x.descriptor_sealed),
    }));
  },

  /**
   * Appends to the change feed. The advisory lock is held to commit, so sequence numbers become
   * visible in order and a poller never skips a change that commits late.
   */
  async recordChanges(tx: Queryable, entryIds: string[]): Promise<void> {
    if (entryIds.length === 0) return;
    await tx.query('select pg_advisory_xact_lock(727274003)');
    for (let i = 0; i < entryIds.length; i += BATCH) {
      await tx.query('insert into optout_changes (entry_id) select unnest($1::uuid[])', [
        entryIds.slice(i, i + BATCH),
      ]);
    }
  },

  async latestChange(db: Queryable): Promise<number> {
    const r = await db.query<{ seq: string | number | null }>('select max(seq) as seq from optout_changes');
    return Number(r.rows[0]?.seq ?? 0);
  },

  async changedSince(db: Queryable, after: number, upTo: number): Promise<string[]> {
    const r = await db.query<{ entry_id: string }>(
      'select distinct entry_id from optout_changes where seq > $1 and seq <= $2',
      [after, upTo],
    );
    return r.rows.map((x) => x.entry_id);
  },

  async insertBlocks(
    db: Queryable,
    rows: {
      id: string;
      entryId: string;
      ownerId: string;
      source: string;
      rule: string;
      prompt: string | null;
      wrappedKey: Buffer;
      sealed: Buffer;
    }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const payload = rows.map((b) => ({
      id: b.id,
      entry_id: b.entryId,
      owner_id: b.ownerId,
      source: b.source,
      rule: b.rule,
      prompt: b.prompt,
      wrapped_key: b.wrappedKey.toString('hex'),
      requester_sealed: b.sealed.toString('hex'),
    }));
    await db.query(
      `insert into optout_blocks (id, entry_id, owner_id, source, rule, prompt, wrapped_key, requester_sealed)
       select id, entry_id, owner_id, source, rule, prompt, decode(wrapped_key, 'hex'), decode(requester_sealed, 'hex')
         from jsonb_to_recordset($1::jsonb) as x(id uuid, entry_id uuid, owner_id uuid, source text, rule text, prompt text,
              wrapped_key text, requester_sealed text)`,
      [JSON.stringify(payload)],
    );
  },

  async blockCounts(
    db: Queryable,
    q: { ownerId: string; from: Date; to: Date; bucket: 'day' | 'hour' },
  ): Promise<{ entry_id: string; canonical_name: string; bucket: Date; n: number }[]> {
    const r = await db.query<{ entry_id: string; canonical_name: string; bucket: Date; n: number }>(
      `select b.entry_id, e.canonical_name, date_trunc($4, b.at at time zone 'UTC') at time zone 'UTC' as bucket, count(*)::int as n
         from optout_blocks b join optout_entries e on e.id = b.entry_id
        where b.owner_id = $1 and b.at >= $2 and b.at < $3
        group by b.entry_id, e.canonical_name, 3
        order by bucket asc, b.entry_id asc`,
      [q.ownerId, q.from.toISOString(), q.to.toISOString(), q.bucket],
    );
    return r.rows.map((x) => ({ ...x, n: Number(x.n) }));
  },

  async recentBlocks(
    db: Queryable,
    q: { ownerId: string; from: Date; to: Date; limit: number },
  ): Promise<(BlockRow & { canonical_name: string })[]> {
    const r = await db.query<BlockRow & { canonical_name: string }>(
      `select b.*, e.canonical_name from optout_blocks b join optout_entries e on e.id = b.entry_id
        where b.owner_id = $1 and b.at >= $2 and b.at < $3 order by b.at desc, b.id desc limit $4`,
      [q.ownerId, q.from.toISOString(), q.to.toISOString(), q.limit],
    );
    return r.rows;
  },

  async findBlock(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<BlockRow | null> {
    const r = await db.query<BlockRow>(
      `select * from optout_blocks where id = $1${opts.forUpdate ? ' for update' : ''}`,
      [id],
    );
    const b = r.rows[0];
    return b
      ? { ...b, wrapped_key: bytes(b.wrapped_key), requester_sealed: bytes(b.requester_sealed) }
      : null;
  },

  async releaseBlock(tx: Queryable, id: string, requesterId: string, by: string): Promise<BlockRow> {
    const r = await tx.query<BlockRow>(
      `update optout_blocks set released_requester_id = $2, released_at = now(), released_by = $3 where id = $1 returning *`,
      [id, requesterId, by],
    );
    return r.rows[0];
  },

  /** Counts one request in the account's current one-minute window and returns the window's count. */
  async hitRateWindow(db: Queryable, accountId: string, windowStart: Date): Promise<number> {
    const r = await db.query<{ n: number }>(
      `insert into optout_rate_windows (account_id, window_start, n) values ($1, $2, 1)
       on conflict (account_id, window_start) do update set n = optout_rate_windows.n + 1
       returning n`,
      [accountId, windowStart.toISOString()],
    );
    return Number(r.rows[0].n);
  },

  async pruneRateWindows(db: Queryable, before: Date): Promise<void> {
    await db.query('delete from optout_rate_windows where window_start < $1', [before.toISOString()]);
  },
};
