import crypto from 'node:crypto';
import type { Request } from 'express';
import type { Logger } from 'pino';
import type { AuthContext } from '../accounts/account-service';
import { appendAudit } from '../audit/audit-repository';
import type { Database, Queryable } from '../db/database';
import { SAME_PERSON_STRICT, faceDistance } from '../faces/match';
import { Conflict, Gone, NotFound, isAppError } from '../http/errors';
import type { JobQueue } from '../queue/job-queue';
import type { JobContext } from '../queue/job-registry';
import type { BlobStore } from '../storage/blob-store';
import { JOB_ANALYSE_ENROLLMENT } from './consent-jobs';
import type { AnalysisReport } from './analysis/types';
import { probeRecording } from './analysis/decode';
import { AnalysisStopped } from './analysis/worker/host';
import {
  REUPLOAD_SIMILARITY,
  fingerprintSchema,
  fingerprintSimilarity,
  type Fingerprint,
} from './analysis/fingerprint';
import { challengeSchema, createChallenge, type Challenge, type ChallengeGenerator } from './challenge';
import { openFaceTemplate, sealBiometrics } from './cameo-crypto';
import { consentRepository as repo, toBuffer, type EnrollmentRow } from './consent-repository';
import type { CheckView, EnrollmentView } from './consent-schemas';
import type { ReceiptKeys } from './receipt';
import { receiveRecording } from './recording-upload';

export const ENROLLMENT_TTL_MS = 5 * 60 * 1000;

/** A serialising lock for "is this face already someone else's cameo": two enrollments of one face cannot both pass. */
const FACE_LOCK = 727274005;

export type Analyse = (path: string, challenge: Challenge) => Promise<AnalysisReport>;

export interface EnrollmentDeps {
  db: Database;
  blobs: BlobStore;
  queue: JobQueue;
  masterKey: Buffer;
  receiptKeys: ReceiptKeys;
  logger: Logger;
  analyse: Analyse;
  challengeGenerator?: ChallengeGenerator;
}

/** The stored report: what the checks found, never templates, images or fingerprints. */
interface StoredReport {
  accepted: boolean;
  challengeId: string;
  durationSec: number | null;
  checks: (CheckView & { details?: Record<string, unknown> })[];
}

export const analysisJobId = (enrollmentId: string) => `consent-enrollment-${enrollmentId}`;

function hashReport(r: StoredReport): string {
  return crypto.createHash('sha256').update(JSON.stringify(r)).digest('hex');
}

function publicChecks(report: unknown): CheckView[] {
  const checks = (report as StoredReport | null)?.checks ?? [];
  return checks.map((c) => ({
    name: c.name,
    passed: c.passed,
    decisive: c.decisive,
    score: c.score,
    threshold: c.threshold,
    message: c.message,
  }));
}

export function toEnrollmentView(r: EnrollmentRow): EnrollmentView {
  return {
    id: r.id,
    status: r.status === 'accepted' ? 'accepted' : r.status === 'rejected' ? 'rejected' : 'pending',
    recordingReceived: r.status !== 'open',
    expiresAt: new Date(r.expires_at).toISOString(),
    createdAt: new Date(r.created_at).toISOString(),
    completedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null,
    reason: r.reason,
    reasonCode: r.reason_code,
    checks: publicChecks(r.report),
    cameoId: r.cameo_id,
  };
}

export type EnrollmentService = ReturnType<typeof createEnrollmentService>;

export function createEnrollmentService(deps: EnrollmentDeps) {
  const { db, blobs, queue, masterKey, receiptKeys, logger, analyse } = deps;
  let generator: ChallengeGenerator | undefined = deps.challengeGenerator;

  async function ownedEnrollment(auth: AuthContext, id: string): Promise<EnrollmentRow> {
    const row = await repo.findEnrollment(db, id);
    // Another account's session is answered exactly like a missing one.
    if (!row || row.owner_id !== auth.accountId) {
      throw new NotFound('enrollment_not_found', 'No enrollment session of yours has this id.');
    }
    return row;
  }

  function refuseUnusable(row: EnrollmentRow, at: Date): void {
    if (row.status !== 'open') {
      throw new Conflict(
        'session_used',
        'This enrollment session already received a recording; start a new one.',
      );
    }
    if (new Date(row.expires_at).getTime() <= at.getTime()) {
      throw new Gone(
        'session_expired',
        'This enrollment session expired (they last 5 minutes); start a new one.',
      );
    }
  }

  async function dropBlobIfUnused(key: string): Promise<void> {
    if (!(await repo.recordingStillReferenced(db, key))) await blobs.delete(key).catch(() => undefined);
  }

  /** Decides, under the face lock, whether the face is already another account's active cameo. */
  async function nearestOtherFace(
    tx: Queryable,
    ownerId: string,
    template: Float32Array,
  ): Promise<{ cameoId: string; distance: number } | null> {
    let best: { cameoId: string; distance: number } | null = null;
    for (const c of await repo.activeFaceTemplates(tx, { excludeOwnerId: ownerId })) {
      const other = openFaceTemplate(masterKey, c.id, toBuffer(c.wrapped_key), toBuffer(c.face_template_enc));
      const d = faceDistance(template, other);
      if (!best || d < best.distance) best = { cameoId: c.id, distance: d };
    }
    return best;
  }

  async function reuploadCheck(
    enrollmentId: string,
    fp: Fingerprint,
  ): Promise<CheckView & { details: Record<string, unknown> }> {
    let best = 0;
    for (const e of await repo.earlierFingerprints(db, enrollmentId)) {
      const parsed = fingerprintSchema.safeParse(e.fingerprint);
      if (!parsed.success) continue;
      best = Math.max(best, fingerprintSimilarity(parsed.data, fp));
    }
    const passed = best < REUPLOAD_SIMILARITY;
    return {
      name: 'not-a-reupload',
      passed,
      decisive: true,
      score: best,
      threshold: REUPLOAD_SIMILARITY,
      message: passed
        ? 'This is a new recording.'
        : 'This recording was uploaded before; record a new one for this session.',
      details: {},
    };
  }

  async function finishRejected(
    row: EnrollmentRow,
    code: string,
    reason: string,
    report: StoredReport | null,
    fingerprint: Fingerprint | null,
  ) {
    await db.transaction(async (tx) => {
      const cur = await repo.findEnrollment(tx, row.id, { forUpdate: true });
      if (!cur || cur.status !== 'analysing') return;
      await repo.finishEnrollment(tx, row.id, {
        status: 'rejected',
        report,
        reportHash: report ? hashReport(report) : null,
        fingerprint,
        reasonCode: code,
        reason,
        cameoId: null,
      });
      await appendAudit(tx, {
        actorId: row.owner_id,
        action: 'cameo.enrollment_rejected',
        subjectType: 'enrollment',
        subjectId: row.id,
        details: {
          reasonCode: code,
          failedChecks: (report?.checks ?? [])
            .filter((c) => c.decisive && c.passed !== true)
            .map((c) => c.name),
        },
      });
    });
  }

  async function analyseOnce(enrollmentId: string): Promise<void> {
    const row = await repo.findEnrollment(db, enrollmentId);
    if (!row || row.status !== 'analysing' || !row.recording_key) return;
    const recordingKey = row.recording_key;
    const challenge = challengeSchema.parse(row.challenge);
    let report: AnalysisReport;
    try {
      report = await analyse(await blobs.localPath(recordingKey), challenge);
    } catch (e) {
      if (isAppError(e) && e.status < 500) {
        await finishRejected(row, e.code, e.message, null, null);
        await dropBlobIfUnused(recordingKey);
        return;
      }
      throw e;
    }

    const checks: StoredReport['checks'] = report.checks.map((c) => ({
      name: c.name,
      passed: c.passed,
      decisive: c.decisive,
      // A check that measured nothing (no face found) scores Infinity or NaN; JSON cannot carry them.
      score: Number.isFinite(c.score) ? c.score : null,
      threshold: c.threshold,
      message: c.message,
      details: c.details,
    }));
    checks.push(await reuploadCheck(enrollmentId, report.fingerprint));
    const oneFace = report.checks.find((c) => c.name === 'one-face');
    const hasTemplate = oneFace?.passed === true && report.faceTemplate.some((v) => v !== 0);

    const outcome: {
      cameoId: string | null;
      code: string | null;
      reason: string | null;
      flagged: string | null;
    } = await db.transaction(async (tx) => {
      const cur = await repo.findEnrollment(tx, enrollmentId, { forUpdate: true });
      if (!cur || cur.status !== 'analysing')
        return { cameoId: null, code: null, reason: null, flagged: null };
      await tx.query('select pg_advisory_xact_lock($1)', [FACE_LOCK]);
      const all = [...checks];
      let flagged: { cameoId: string; distance: number } | null = null;
      if (hasTemplate) {
        const near = await nearestOtherFace(tx, row.owner_id, report.faceTemplate);
        const passed = !near || near.distance > SAME_PERSON_STRICT;
        if (!passed) flagged = near;
        all.push({
          name: 'not-already-enrolled',
          passed,
          decisive: true,
          score: near?.distance ?? 2,
          threshold: SAME_PERSON_STRICT,
          message: passed
            ? 'Your face is not another account’s cameo.'
            : 'This face is already the cameo of another account; an operator will review it.',
        });
      }
      const accepted = report.accepted && all.every((c) => !c.decisive || c.passed === true);
      const stored: StoredReport = {
        accepted,
        challengeId: report.challengeId,
        durationSec: report.durationSec,
        checks: all,
      };
      const reportHash = hashReport(stored);
      const failed = all.find((c) => c.decisive && c.passed !== true);
      const existing = accepted ? await repo.findActiveByOwner(tx, row.owner_id) : null;
      if (!accepted || existing) {
        const code = existing ? 'cameo_exists' : `check_failed:${failed?.name ?? 'unknown'}`;
        const reason = existing
          ? 'You already have an active cameo; revoke it before enrolling again.'
          : (failed?.message ?? report.reason ?? 'The recording did not pass the checks.');
        await repo.finishEnrollment(tx, enrollmentId, {
          status: 'rejected',
          report: { ...stored, accepted: false },
          reportHash,
          fingerprint: report.fingerprint,
          reasonCode: code,
          reason,
          cameoId: null,
        });
        await appendAudit(tx, {
          actorId: row.owner_id,
          action: 'cameo.enrollment_rejected',
          subjectType: 'enrollment',
          subjectId: enrollmentId,
          details: {
            reasonCode: code,
            failedChecks: all.filter((c) => c.decisive && c.passed !== true).map((c) => c.name),
          },
        });
        if (flagged) {
          const reviewId = crypto.randomUUID();
          await repo.insertReview(tx, {
            id: reviewId,
            enrollmentId,
            accountId: row.owner_id,
            matchedCameoId: flagged.cameoId,
            distance: flagged.distance,
          });
          await appendAudit(tx, {
            actorId: null,
            action: 'consent.review_flagged',
            subjectType: 'consent_review',
            subjectId: reviewId,
            details: {
              kind: 'duplicate_face',
              enrollmentId,
              accountId: row.owner_id,
              matchedCameoId: flagged.cameoId,
            },
          });
        }
        return { cameoId: null, code, reason, flagged: flagged?.cameoId ?? null };
      }

      const cameoId = crypto.randomUUID();
      const consentedAt = new Date();
      const sealed = sealBiometrics(masterKey, cameoId, {
        faceTemplate: report.faceTemplate,
        voiceTemplate: report.voiceTemplate,
        referenceImageJpeg: report.bestFrameJpeg,
      });
      const receipt = receiptKeys.sign({
        typ: 'consentry-consent-receipt',
        cameoId,
        ownerId: row.owner_id,
        handle: row.owner_handle,
        consentedAt: consentedAt.toISOString(),
        challengeId: report.challengeId,
        enrollmentId,
        reportHash,
      });
      const inserted = await repo.insertCameo(tx, {
        id: cameoId,
        ownerId: row.owner_id,
        handle: row.owner_handle,
        enrollmentId,
        challengeId: report.challengeId,
        reportHash,
        wrappedKey: sealed.wrappedKey,
        face: sealed.faceTemplate,
        voice: sealed.voiceTemplate,
        reference: sealed.referenceImage,
        receipt,
        consentedAt,
      });
      if (!inserted) throw new Error('cameo insert conflicted');
      await repo.finishEnrollment(tx, enrollmentId, {
        status: 'accepted',
        report: stored,
        reportHash,
        fingerprint: report.fingerprint,
        reasonCode: null,
        reason: null,
        cameoId,
      });
      await appendAudit(tx, {
        actorId: row.owner_id,
        action: 'cameo.enrolled',
        subjectType: 'cameo',
        subjectId: cameoId,
        details: { enrollmentId, challengeId: report.challengeId, reportHash, receiptKid: receiptKeys.kid },
      });
      return { cameoId, code: null, reason: null, flagged: null };
    });
    await dropBlobIfUnused(recordingKey);
    logger.info(
      {
        enrollmentId,
        accepted: Boolean(outcome.cameoId),
        reasonCode: outcome.code,
        flagged: Boolean(outcome.flagged),
      },
      'enrollment analysed',
    );
  }

  return {
    /** Replaces the challenge generator; only the test seam calls this. */
    setChallengeGenerator(g: ChallengeGenerator | undefined) {
      generator = g;
    },

    async create(auth: AuthContext): Promise<{ id: string; challenge: Challenge; expiresAt: string }> {
      if (await repo.findActiveByOwner(db, auth.accountId)) {
        throw new Conflict(
          'cameo_exists',
          'You already have an active cameo; revoke it before enrolling again.',
        );
      }
      const challenge = createChallenge(generator);
      const id = crypto.randomUUID();
      const expiresAt = new Date(Date.now() + ENROLLMENT_TTL_MS);
      await db.transaction(async (tx) => {
        await repo.insertEnrollment(tx, {
          id,
          ownerId: auth.accountId,
          ownerHandle: auth.handle,
          challenge,
          expiresAt,
        });
        await appendAudit(tx, {
          actorId: auth.accountId,
          action: 'cameo.enrollment_started',
          subjectType: 'enrollment',
          subjectId: id,
          details: { challengeId: challenge.id, expiresAt: expiresAt.toISOString() },
        });
      });
      return { id, challenge, expiresAt: expiresAt.toISOString() };
    },

    async get(auth: AuthContext, id: string): Promise<EnrollmentView> {
      return toEnrollmentView(await ownedEnrollment(auth, id));
    },

    /** Receives the recording, refuses what is plainly not a usable one, and queues the analysis. */
    async upload(
      auth: AuthContext,
      id: string,
      req: Request,
    ): Promise<{ id: string; status: 'pending'; poll: string }> {
      const startedAt = new Date();
      let row: EnrollmentRow;
      try {
        row = await ownedEnrollment(auth, id);
        refuseUnusable(row, startedAt);
      } catch (e) {
        req.resume();
        throw e;
      }
      const rec = await receiveRecording(req);
      let key: string | null = null;
      try {
        await probeRecording(rec.path);
        if (await repo.sha256SeenBefore(db, rec.sha256, id)) {
          throw new Conflict(
            'reupload',
            'This exact recording was uploaded before; record a new one for this session.',
          );
        }
        key = (await blobs.put({ path: rec.path })).key;
        const claimed = await db.transaction(async (tx) => {
          const c = await repo.claimForUpload(tx, id, auth.accountId, {
            key: key!,
            sha256: rec.sha256,
            bytes: rec.bytes,
            startedAt,
          });
          if (!c) return null;
          await appendAudit(tx, {
            actorId: auth.accountId,
            action: 'cameo.recording_received',
            subjectType: 'enrollment',
            subjectId: id,
            details: { bytes: rec.bytes },
          });
          return c;
        });
        if (!claimed) {
          await dropBlobIfUnused(key);
          const now = await repo.findEnrollment(db, id);
          refuseUnusable(now!, startedAt);
          throw new Conflict(
            'session_used',
            'This enrollment session already received a recording; start a new one.',
          );
        }
      } finally {
        rec.cleanup();
      }
      await queue.enqueue(JOB_ANALYSE_ENROLLMENT, { enrollmentId: id }, { jobId: analysisJobId(id) });
      return { id, status: 'pending', poll: `/v1/cameos/enrollments/${id}` };
    },

    /**
     * The analysis job. Idempotent: a finished session is left alone. The cameo, its sealed
     * templates, its receipt, the session's verdict and the audit row are written in one
     * transaction; when the last attempt fails anywhere, the session is rejected with a reason
     * instead of staying pending, and nothing of a cameo remains.
     */
    async runAnalysis(enrollmentId: string, ctx: Pick<JobContext, 'attempt' | 'maxAttempts'>): Promise<void> {
      try {
        await analyseOnce(enrollmentId);
      } catch (e) {
        if (ctx.attempt < ctx.maxAttempts) throw e;
        logger.error({ enrollmentId, err: (e as Error)?.message }, 'enrollment analysis failed');
        const row = await repo.findEnrollment(db, enrollmentId);
        if (!row || row.status !== 'analysing') return;
        // A crashed or timed-out analysis worker says so (AnalysisStopped). The code stays
        // analysis_failed: the re-upload check lets such a recording be sent again.
        const stopped = e instanceof AnalysisStopped;
        await finishRejected(
          row,
          'analysis_failed',
          stopped
            ? `We could not analyse the recording: ${e.message.replace(/\.$/, '')}; please start a new enrollment.`
            : 'We could not analyse the recording; please start a new enrollment.',
          null,
          null,
        );
        if (row.recording_key) await dropBlobIfUnused(row.recording_key);
      }
    },
  };
}
