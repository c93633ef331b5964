import type { Queryable } from '../db/database';

export type EnrollmentStatus = 'open' | 'analysing' | 'accepted' | 'rejected';
export type Visibility = 'only_me' | 'approved' | 'mutuals' | 'everyone';

export interface EnrollmentRow {
  id: string;
  owner_id: string;
  owner_handle: string;
  challenge: unknown;
  status: EnrollmentStatus;
  expires_at: Date;
  created_at: Date;
  uploaded_at: Date | null;
  completed_at: Date | null;
  recording_key: string | null;
  recording_sha256: string | null;
  recording_bytes: string | number | null;
  fingerprint: unknown;
  report: unknown;
  report_hash: string | null;
  reason_code: string | null;
  reason: string | null;
  cameo_id: string | null;
}

export interface CameoRow {
  id: string;
  owner_id: string;
  handle: string;
  enrollment_id: string;
  challenge_id: string;
  report_hash: string;
  status: 'active' | 'revoked';
  visibility: Visibility;
  paused: boolean;
  rules: string[];
  wrapped_key: Buffer | Uint8Array | null;
  face_template_enc: Buffer | Uint8Array | null;
  voice_template_enc: Buffer | Uint8Array | null;
  reference_image_enc: Buffer | Uint8Array | null;
  receipt: string;
  consented_at: Date;
  revoked_at: Date | null;
  updated_at: Date;
}

/** Cameo columns without the sealed biometrics, for everything that does not need them. */
const CAMEO_PUBLIC_COLS = `id, owner_id, handle, enrollment_id, challenge_id, report_hash, status, visibility, paused,
  rules, receipt, consented_at, revoked_at, updated_at`;
export type CameoMetaRow = Omit<
  CameoRow,
  'wrapped_key' | 'face_template_enc' | 'voice_template_enc' | 'reference_image_enc'
>;

export interface ReviewRow {
  id: string;
  kind: string;
  enrollment_id: string;
  account_id: string;
  matched_cameo_id: string;
  distance: number;
  status: string;
  created_at: Date;
}

export const toBuffer = (b: Buffer | Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export const consentRepository = {
  async insertEnrollment(
    tx: Queryable,
    e: { id: string; ownerId: string; ownerHandle: string; challenge: unknown; expiresAt: Date },
  ): Promise<EnrollmentRow> {
    const r = await tx.query<EnrollmentRow>(
      `insert into cameo_enrollments (id, owner_id, owner_handle, challenge, expires_at)
       values ($1, $2, $3, $4, $5) returning *`,
      [e.id, e.ownerId, e.ownerHandle, JSON.stringify(e.challenge), e.expiresAt.toISOString()],
    );
    return r.rows[0]!;
  },

  async findEnrollment(
    db: Queryable,
    id: string,
    opts: { forUpdate?: boolean } = {},
  ): Promise<EnrollmentRow | null> {
    const r = await db.query<EnrollmentRow>(
      `select * from cameo_enrollments where id = $1${opts.forUpdate ? ' for update' : ''}`,
      [id],
    );
    return r.rows[0] ?? null;
  },

  /** Moves an open, unexpired session to analysing; null when another upload won or it expired. */
  async claimForUpload(
    tx: Queryable,
    id: string,
    ownerId: string,
    rec: { key: string; sha256: string; bytes: number; startedAt: Date },
  ): Promise<EnrollmentRow | null> {
    // Expiry is judged when the upload started, so a slow connection does not lose a valid session.
    const r = await tx.query<EnrollmentRow>(
      `update cameo_enrollments
          set status = 'analysing', uploaded_at = now(), recording_key = $3, recording_sha256 = $4, recording_bytes = $5
        where id = $1 and owner_id = $2 and status = 'open' and expires_at > $6
        returning *`,
      [id, ownerId, rec.key, rec.sha256, rec.bytes, rec.startedAt.toISOString()],
    );
    return r.rows[0] ?? null;
  },

  async sha256SeenBefore(db: Queryable, sha256: string, exceptId: string): Promise<boolean> {
    // A recording whose analysis failed on our side may be sent again.
    const r = await db.query(
      `select 1 from cameo_enrollments
        where recording_sha256 = $1 and id <> $2 and coalesce(reason_code, '') <> 'analysis_failed' limit 1`,
      [sha256, exceptId],
    );
    return r.rows.length > 0;
  },

  async earlierFingerprints(
    db: Queryable,
    exceptId: string,
  ): Promise<{ id: string; fingerprint: unknown }[]> {
    const r = await db.query<{ id: string; fingerprint: unknown }>(
      'select id, fingerprint from cameo_enrollments where fingerprint is not null and id <> $1',
      [exceptId],
    );
    return r.rows;
  },

  async finishEnrollment(
    tx: Queryable,
    id: string,
    f: {
      status: 'accepted' | 'rejected';
      report: unknown;
      reportHash: string | null;
      fingerprint: unknown;
      reasonCode: string | null;
      reason: string | null;
      cameoId: string | null;
    },
  ): Promise<void> {
    await tx.query(
      `update cameo_enrollments
          set status = $2, report = $3, report_hash = $4, fingerprint = $5, reason_code = $6, reason = $7,
              cameo_id = $8, completed_at = now(), recording_key = null
        where id = $1`,
      [
        id,
        f.status,
        f.report === null ? null : JSON.stringify(f.report),
        f.reportHash,
        f.fingerprint === null ? null : JSON.stringify(f.fingerprint),
        f.reasonCode,
        f.reason,
        f.cameoId,
      ],
    );
  },

  async recordingStillReferenced(db: Queryable, key: string): Promise<boolean> {
    const r = await db.query(`select 1 from cameo_enrollments where recording_key = $1 limit 1`, [key]);
    return r.rows.length > 0;
  },

  async insertCameo(
    tx: Queryable,
    c: {
      id: string;
      ownerId: string;
      handle: string;
      enrollmentId: string;
      challengeId: string;
      reportHash: string;
      wrappedKey: Buffer;
      face: Buffer;
      voice: Buffer;
      reference: Buffer;
      receipt: string;
      consentedAt: Date;
    },
  ): Promise<CameoMetaRow | null> {
    const r = await tx.query<CameoMetaRow>(
      `insert into cameos (id, owner_id, handle, enrollment_id, challenge_id, report_hash, wrapped_key,
                           face_template_enc, voice_template_enc, reference_image_enc, receipt, consented_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       on conflict do nothing
       returning ${CAMEO_PUBLIC_COLS}`,
      [
        c.id,
        c.ownerId,
        c.handle,
        c.enrollmentId,
        c.challengeId,
        c.reportHash,
        c.wrappedKey,
        c.face,
        c.voice,
        c.reference,
        c.receipt,
        c.consentedAt.toISOString(),
      ],
    );
    return r.rows[0] ?? null;
  },

  async findCameo(
    db: Queryable,
    id: string,
    opts: { forUpdate?: boolean } = {},
  ): Promise<CameoMetaRow | null> {
    const r = await db.query<CameoMetaRow>(
      `select ${CAMEO_PUBLIC_COLS} from cameos where id = $1${opts.forUpdate ? ' for update' : ''}`,
      [id],
    );
    return r.rows[0] ?? null;
  },

  async findCameoWithBiometrics(db: Queryable, id: string): Promise<CameoRow | null> {
    const r = await db.query<CameoRow>('select * from cameos where id = $1', [id]);
    return r.rows[0] ?? null;
  },

  async listOwnerCameos(db: Queryable, ownerId: string): Promise<CameoMetaRow[]> {
    const r = await db.query<CameoMetaRow>(
      `select ${CAMEO_PUBLIC_COLS} from cameos where owner_id = $1 order by consented_at desc`,
      [ownerId],
    );
    return r.rows;
  },

  async findActiveByOwner(db: Queryable, ownerId: string): Promise<CameoMetaRow | null> {
    const r = await db.query<CameoMetaRow>(
      `select ${CAMEO_PUBLIC_COLS} from cameos where owner_id = $1 and status = 'active'`,
      [ownerId],
    );
    return r.rows[0] ?? null;
  },

  async activeFaceTemplates(
    db: Queryable,
    opts: { excludeOwnerId?: string; excludeCameoIds?: string[] } = {},
  ): Promise<
    {
      id: string;
      owner_id: string;
      wrapped_key: Buffer | Uint8Array;
      face_template_enc: Buffer | Uint8Array;
    }[]
  > {
    const r = await db.query<{
      id: string;
      owner_id: string;
      wrapped_key: Buffer;
      face_template_enc: Buffer;
    }>(
      `select id, owner_id, wrapped_key, face_template_enc from cameos
        where status = 'active' and ($1::uuid is null or owner_id <> $1) and not (id = any($2::uuid[]))`,
      [opts.excludeOwnerId ?? null, opts.excludeCameoIds ?? []],
    );
    return r.rows;
  },

  async updateSettings(
    tx: Queryable,
    id: string,
    s: { visibility?: Visibility; paused?: boolean; rules?: string[] },
  ): Promise<CameoMetaRow | null> {
    const r = await tx.query<CameoMetaRow>(
      `update cameos
          set visibility = coalesce($2, visibility), paused = coalesce($3, paused),
              rules = coalesce($4::text[], rules), updated_at = now()
        where id = $1 and status = 'active'
        returning ${CAMEO_PUBLIC_COLS}`,
      [id, s.visibility ?? null, s.paused ?? null, s.rules ?? null],
    );
    return r.rows[0] ?? null;
  },

  /** Destroys the data key and every ciphertext; the row (and the receipt) stays as proof consent existed. */
  async revoke(tx: Queryable, id: string): Promise<CameoMetaRow | null> {
    const r = await tx.query<CameoMetaRow>(
      `update cameos
          set status = 'revoked', revoked_at = now(), updated_at = now(), paused = true, wrapped_key = null,
              face_template_enc = null, voice_template_enc = null, reference_image_enc = null
        where id = $1 and status = 'active'
        returning ${CAMEO_PUBLIC_COLS}`,
      [id],
    );
    return r.rows[0] ?? null;
  },

  async addApproval(
    tx: Queryable,
    cameoId: string,
    account: { id: string; handle: string },
  ): Promise<boolean> {
    const r = await tx.query(
      'insert into cameo_approvals (cameo_id, account_id, account_handle) values ($1, $2, $3) on conflict do nothing',
      [cameoId, account.id, account.handle],
    );
    return r.rowCount > 0;
  },

  async removeApproval(tx: Queryable, cameoId: string, accountId: string): Promise<boolean> {
    const r = await tx.query('delete from cameo_approvals where cameo_id = $1 and account_id = $2', [
      cameoId,
      accountId,
    ]);
    return r.rowCount > 0;
  },

  async approvedHandles(db: Queryable, cameoId: string): Promise<string[]> {
    const r = await db.query<{ account_handle: string }>(
      'select account_handle from cameo_approvals where cameo_id = $1 order by account_handle',
      [cameoId],
    );
    return r.rows.map((x) => x.account_handle);
  },

  async isApproved(db: Queryable, cameoId: string, accountId: string): Promise<boolean> {
    const r = await db.query('select 1 from cameo_approvals where cameo_id = $1 and account_id = $2', [
      cameoId,
      accountId,
    ]);
    return r.rows.length > 0;
  },

  async follow(tx: Queryable, followerId: string, followeeId: string): Promise<boolean> {
    const r = await tx.query(
      'insert into follows (follower_id, followee_id) values ($1, $2) on conflict do nothing',
      [followerId, followeeId],
    );
    return r.rowCount > 0;
  },

  async unfollow(tx: Queryable, followerId: string, followeeId: string): Promise<boolean> {
    const r = await tx.query('delete from follows where follower_id = $1 and followee_id = $2', [
      followerId,
      followeeId,
    ]);
    return r.rowCount > 0;
  },

  async areMutuals(db: Queryable, a: string, b: string): Promise<boolean> {
    const r = await db.query<{ n: number }>(
      `select count(*)::int as n from follows
        where (follower_id = $1 and followee_id = $2) or (follower_id = $2 and followee_id = $1)`,
      [a, b],
    );
    return Number(r.rows[0]!.n) === 2;
  },

  async insertReview(
    tx: Queryable,
    r: { id: string; enrollmentId: string; accountId: string; matchedCameoId: string; distance: number },
  ): Promise<void> {
    await tx.query(
      `insert into consent_reviews (id, kind, enrollment_id, account_id, matched_cameo_id, distance)
       values ($1, 'duplicate_face', $2, $3, $4, $5)`,
      [r.id, r.enrollmentId, r.accountId, r.matchedCameoId, r.distance],
    );
  },

  async listReviews(db: Queryable, q: { status?: string; limit: number }): Promise<ReviewRow[]> {
    const r = await db.query<ReviewRow>(
      `select * from consent_reviews where ($1::text is null or status = $1) order by created_at desc limit $2`,
      [q.status ?? null, q.limit],
    );
    return r.rows;
  },
};
