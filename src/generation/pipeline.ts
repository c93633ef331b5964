import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { appendAudit } from '../audit/audit-repository';
import type { CameoForGeneration, ConsentService } from '../consent';
import type { Database, Queryable } from '../db/database';
import { SAME_PERSON_MAX_DISTANCE } from '../faces';
import { isAppError, PolicyRefusal } from '../http/errors';
import { fingerprintMedia, ledgerRepository, newLedgerPayload } from '../ledger';
import { ModelOutputRejected, type VideoModel } from '../models';
import type { OptoutService } from '../optout';
import type { Provenance } from '../provenance';

const attemptedSchema = z.array(z.object({ cameoId: z.string(), ownerId: z.string() }));
import type { BlobStore } from '../storage/blob-store';
import { detectFile, embedVideoFile } from '../watermark';
import { generationRepository as repo, type GenerationRow } from './generation-repository';
import type { Refusal, Stage } from './generation-schemas';
import { sampleFrames, scanFaces } from './output-scan';
import { optoutRefusal } from './refusal-text';
import type { HoldPoint } from './stage-hold';

export interface PipelineDeps {
  db: Database;
  blobs: BlobStore;
  logger: Logger;
  consent: ConsentService;
  optout: OptoutService;
  provenance: Provenance;
  watermarkKey: Buffer;
  model: VideoModel;
  hold: (at: HoldPoint, prompt: string) => Promise<void>;
  /** Per-stage wall times of each finished run (bench). */
  onTimings?: (id: string, t: Record<string, number>) => void;
}

/** The row ended (cancelled, revoked, refused elsewhere) or another attempt took it: stop quietly. */
export class GenerationStopped extends Error {}
/** A refusal decided by a stage: recorded, never retried. */
class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

const PROGRESS: Record<string, number> = {
  policy: 0.05,
  consent: 0.1,
  rendering: 0.15,
  scanning: 0.6,
  stamping: 0.72,
};
const SOFT_BINDING_ALG = 'com.consentry.watermark.v1';
const WATERMARK_CHECK_SEC = 4;

export async function recordDecision(
  tx: Queryable,
  g: { id: string; requester_id: string },
  e: {
    stage: string;
    decision: string;
    progress: number;
    message?: string;
    details?: Record<string, unknown>;
    actorId?: string | null;
  },
): Promise<void> {
  await repo.addEvent(tx, {
    generationId: g.id,
    stage: e.stage,
    decision: e.decision,
    progress: e.progress,
    message: e.message,
    details: e.details,
  });
  await appendAudit(tx, {
    actorId: e.actorId === undefined ? g.requester_id : e.actorId,
    action: `generation.${e.stage}.${e.decision}`,
    subjectType: 'generation',
    subjectId: g.id,
    details: { ...(e.message ? { message: e.message } : {}), ...(e.details ?? {}) },
  });
}

/**
 * One attempt at a generation, stage by stage. Every attempt starts from the top with a fresh
 * fencing token; a stage writes its decision only while the row is live and held by that token,
 * so an attempt that lost its lock (or a row cancelled meanwhile) can never deliver.
 */
export function createPipeline(deps: PipelineDeps) {
  const { db, blobs, consent, optout, provenance, model } = deps;

  async function run(
    id: string,
    job: { attempt: number; maxAttempts: number; log: Logger },
  ): Promise<'done' | 'refused' | 'failed' | 'stopped'> {
    const token = crypto.randomUUID();
    const g = await db.transaction(async (tx) => {
      const row = await repo.beginAttempt(tx, id, token);
      if (row) {
        await recordDecision(tx, row, {
          stage: 'policy',
          decision: 'started',
          progress: 0,
          message:
            job.attempt > 1 || row.attempts > 1
              ? `attempt ${row.attempts} (an earlier attempt did not finish)`
              : undefined,
          details: { attempt: row.attempts, worker: `${os.hostname()}:${process.pid}` },
          actorId: null,
        });
      }
      return row;
    });
    if (!g) return 'stopped';
    const workDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `gen-${id.slice(0, 8)}-`));
    const abort = new AbortController();
    const timings: Record<string, number> = {};
    try {
      await stages(g, token, workDir, abort.signal, timings);
      deps.onTimings?.(id, timings);
      return 'done';
    } catch (e) {
      abort.abort();
      if (e instanceof GenerationStopped) {
        job.log.info({ generationId: id }, 'generation stopped: it ended or another attempt holds it');
        return 'stopped';
      }
      const refusal = e instanceof Refused ? e.refusal : refusalOfError(e);
      if (refusal) {
        await end(g, token, { stage: 'refused', refusal });
        return 'refused';
      }
      const permanent = e instanceof ModelOutputRejected || job.attempt >= job.maxAttempts;
      job.log.warn({ generationId: id, err: (e as Error).message, permanent }, 'generation attempt failed');
      if (!permanent) throw e;
      await end(g, token, { stage: 'failed', failure: failureText(e) });
      return 'failed';
    } finally {
      abort.abort();
      await fs.promises.rm(workDir, { recursive: true, force: true });
    }
  }

  async function end(
    g: GenerationRow,
    token: string,
    outcome: { stage: 'refused'; refusal: Refusal } | { stage: 'failed'; failure: string },
  ): Promise<void> {
    await db.transaction(async (tx) => {
      const ended = await repo.end(tx, g.id, outcome, token);
      if (!ended) return;
      await recordDecision(tx, g, {
        stage: outcome.stage === 'refused' ? outcome.refusal.stage : ended.stage,
        decision: outcome.stage,
        progress: ended.progress,
        message: outcome.stage === 'refused' ? outcome.refusal.message : outcome.failure,
        details:
          outcome.stage === 'refused'
            ? { rule: outcome.refusal.rule, ...(outcome.refusal.details ?? {}) }
            : {},
        actorId: null,
      });
    });
  }

  async function enter(g: GenerationRow, token: string, stage: Stage): Promise<void> {
    if (!(await repo.setStage(db, g.id, token, stage, PROGRESS[stage] ?? 0))) throw new GenerationStopped();
  }

  async function passed(
    g: GenerationRow,
    token: string,
    stage: string,
    message: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await db.transaction(async (tx) => {
      const live = await repo.get(tx, g.id, true);
      if (!live || live.attempt_token !== token || ['done', 'refused', 'failed'].includes(live.stage))
        throw new GenerationStopped();
      await recordDecision(tx, g, {
        stage,
        decision: 'passed',
        progress: live.progress,
        message,
        details,
        actorId: null,
      });
    });
  }

  async function consentStillHolds(
    g: GenerationRow,
    token: string,
    cameos: CameoForGeneration[],
    when: string,
  ): Promise<void> {
    const live = await repo.get(db, g.id);
    if (!live || live.attempt_token !== token || ['done', 'refused', 'failed'].includes(live.stage))
      throw new GenerationStopped();
    if (cameos.length && !(await consent.stillConsenting(cameos.map((c) => c.cameoId)))) {
      throw new Refused({
        stage: 'consent',
        rule: 'consent_withdrawn',
        message: `A cameo owner revoked or paused their consent ${when}, so the clip was not delivered.`,
        details: { cameoIds: cameos.map((c) => c.cameoId) },
      });
    }
  }

  async function stages(
    g: GenerationRow,
    token: string,
    workDir: string,
    signal: AbortSignal,
    timings: Record<string, number>,
  ): Promise<void> {
    const ctx = { requesterId: g.requester_id, source: 'generation' as const };
    const lap = (name: string, t0: number) => (timings[name] = Date.now() - t0);

    // 1. Prompt and reference policy: the opt-out registry, then the cameo owners' written rules.
    let t0 = Date.now();
    await deps.hold('policy', g.prompt);
    const promptDecision = await optout.checkPrompt(g.prompt, ctx);
    if (!promptDecision.allowed) throw new Refused(optoutRefusal('policy', 'optout_prompt', promptDecision));
    const references = await Promise.all(g.reference_keys.map((k) => blobs.read(k)));
    if (references.length) {
      const refDecision = await optout.checkReferenceImages(references, ctx);
      if (!refDecision.allowed)
        throw new Refused(optoutRefusal('policy', 'optout_reference_image', refDecision));
    }
    let cameos: CameoForGeneration[];
    try {
      cameos = await consent.resolveCameosForGeneration(g.requester_id, g.cameo_handles);
    } catch (e) {
      if (e instanceof PolicyRefusal) {
        const cameoId = typeof e.details?.cameoId === 'string' ? e.details.cameoId : null;
        // The owners of every cameo someone tried to use see the refused attempt too.
        const attempted = attemptedSchema.safeParse(e.details?.attempted);
        const tried = attempted.success ? attempted.data : [];
        const ids = [
          ...new Set([...g.cameo_ids, ...tried.map((t) => t.cameoId), ...(cameoId ? [cameoId] : [])]),
        ];
        const owners = [...new Set([...g.cameo_owner_ids, ...tried.map((t) => t.ownerId)])];
        if (ids.length !== g.cameo_ids.length || owners.length !== g.cameo_owner_ids.length) {
          await repo.setCameos(db, g.id, token, ids, owners);
        }
        await enter(g, token, 'consent');
        throw new Refused({
          stage: 'consent',
          rule: e.code,
          message: e.message,
          details: cameoId ? { cameoId } : {},
        });
      }
      throw e;
    }
    if (
      !(await repo.setCameos(
        db,
        g.id,
        token,
        cameos.map((c) => c.cameoId),
        [...new Set(cameos.map((c) => c.ownerId))],
      ))
    ) {
      throw new GenerationStopped();
    }
    const violations = consent.checkPromptAgainstRules(cameos, g.prompt);
    if (violations.length) {
      throw new Refused({
        stage: 'policy',
        rule: 'cameo_rule',
        message: violations.map((v) => v.message).join(' '),
        details: { violations: violations.map((v) => ({ cameoId: v.cameoId, rule: v.rule })) },
      });
    }
    await passed(
      g,
      token,
      'policy',
      'The prompt and reference images passed the opt-out registry and the cameo rules.',
      {
        references: references.length,
        cameos: cameos.length,
      },
    );
    lap('policy', t0);

    // 2. Consent: every cameo active, unpaused, and the requester permitted (resolve checked it; re-read now).
    t0 = Date.now();
    await enter(g, token, 'consent');
    await deps.hold('consent', g.prompt);
    await consentStillHolds(g, token, cameos, 'before rendering');
    await passed(
      g,
      token,
      'consent',
      cameos.length
        ? `Every cameo (${cameos.map((c) => `@${c.handle}`).join(', ')}) consents to this requester.`
        : 'No cameo is used.',
      {
        cameoIds: cameos.map((c) => c.cameoId),
      },
    );
    lap('consent', t0);

    // 3. Render.
    t0 = Date.now();
    await enter(g, token, 'rendering');
    if (!(await repo.setModel(db, g.id, token, model.name, model.version))) throw new GenerationStopped();
    await deps.hold('rendering', g.prompt);
    const renderAbort = new AbortController();
    const stopRender = () => renderAbort.abort(new GenerationStopped());
    signal.addEventListener('abort', stopRender, { once: true });
    // Cancellation and revocation land in the database; the render polls it so it stops within a second.
    const watch = setInterval(() => {
      void repo.get(db, g.id).then(
        (r) => {
          if (!r || r.attempt_token !== token || ['done', 'refused', 'failed'].includes(r.stage))
            stopRender();
        },
        () => undefined,
      );
    }, 1000);
    let lastProgress = 0;
    let rendered: { path: string };
    try {
      rendered = await model.render(
        {
          prompt: g.prompt,
          durationSec: Number(g.duration_sec),
          width: g.width,
          height: g.height,
          seed: Number(g.seed),
          cameos: cameos.map((c) => ({
            cameoId: c.cameoId,
            referenceImageJpeg: c.referenceImageJpeg,
            rules: c.rules,
          })),
          referenceImages: references,
        },
        {
          signal: renderAbort.signal,
          workDir: path.join(workDir, 'model'),
          onProgress: (f) => {
            const p = PROGRESS.rendering! + f * (PROGRESS.scanning! - PROGRESS.rendering!);
            if (p - lastProgress >= 0.05) {
              lastProgress = p;
              void repo.setProgress(db, g.id, token, p).catch(() => undefined);
            }
          },
        },
      );
    } catch (e) {
      if (renderAbort.signal.aborted) throw new GenerationStopped();
      throw e;
    } finally {
      clearInterval(watch);
      signal.removeEventListener('abort', stopRender);
    }
    await passed(g, token, 'rendering', `${model.name} ${model.version} rendered the clip.`, {
      model: model.name,
      version: model.version,
    });
    lap('rendering', t0);

    // The watermark embed (the slowest step after the render) starts now, beside the scan: its
    // result is used only if the scan passes, and discarded otherwise.
    const payloadHex = newLedgerPayload();
    const marked = path.join(workDir, 'marked.mp4');
    const tw = Date.now();
    const embedding = embedVideoFile(rendered.path, marked, payloadHex, deps.watermarkKey).then(
      () => ({ ok: true as const, ms: Date.now() - tw }),
      (e: unknown) => ({ ok: false as const, error: e }),
    );

    // 4. Output scan: every face must be a requested cameo; no other cameo, protected person or reference image.
    t0 = Date.now();
    await enter(g, token, 'scanning');
    await deps.hold('scanning', g.prompt);
    const frames = await sampleFrames(rendered.path, g.width, g.height, signal);
    const faces = await scanFaces(frames, cameos);
    const strangers = faces.filter((f) => !f.matchedCameoId);
    for (const f of strangers) {
      const other = await consent.nearestCameoFace(f.descriptor, {
        excludeCameoIds: cameos.map((c) => c.cameoId),
      });
      if (other && other.distance <= SCAN_MATCH) {
        throw new Refused({
          stage: 'scanning',
          rule: 'output_other_cameo',
          message: `At ${f.timeSec.toFixed(1)} s the clip shows the face of someone else's cameo, who did not consent to this clip.`,
          details: { frame: f.frame, distance: round(other.distance) },
        });
      }
    }
    const frameDecision = await optout.checkOutputFrames(
      frames.map((f) => f.jpeg),
      { requesterId: g.requester_id, faceDescriptors: faces.map((f) => f.descriptor) },
    );
    if (!frameDecision.allowed) throw new Refused(optoutRefusal('scanning', 'optout_output', frameDecision));
    if (strangers.length) {
      const f = strangers[0]!;
      throw new Refused({
        stage: 'scanning',
        rule: 'output_unknown_face',
        message: `At ${f.timeSec.toFixed(1)} s the clip shows a face that is not one of the requested cameos.`,
        details: { frame: f.frame, faces: strangers.length },
      });
    }
    const seen = [...new Set(faces.map((f) => f.matchedCameoId))];
    await passed(
      g,
      token,
      'scanning',
      `Scanned ${frames.length} frames: ${faces.length} faces, all of requested cameos.`,
      {
        frames: frames.length,
        faces: faces.length,
        cameosSeen: seen,
      },
    );
    lap('scanning', t0);

    // 5-6. Watermark (video + audio) with a fresh ledger payload, then the signed manifest; both read back.
    t0 = Date.now();
    await enter(g, token, 'stamping');
    await deps.hold('stamping', g.prompt);
    const embedded = await embedding;
    if (!embedded.ok) throw embedded.error;
    timings.watermark = embedded.ms;
    timings.watermarkWait = Date.now() - t0;
    let t1 = Date.now();
    const signed = path.join(workDir, 'signed.mp4');
    await provenance.signFile(marked, signed, {
      title: `consentry generation ${g.id}`,
      generationId: g.id,
      model: { name: model.name, version: model.version },
      cameoRefs: cameos.map((c) => c.cameoId),
      softBinding: { alg: SOFT_BINDING_ALG, payloadHex },
      ingredients: references.map((bytes, i) => ({ title: `reference image ${i + 1}`, bytes })),
    });
    timings.sign = Date.now() - t1;
    t1 = Date.now();
    // Read-backs of the delivered bytes: manifest, watermark (the first seconds carry the whole
    // payload) and the ledger's fingerprint, side by side.
    const [{ summary: manifest, storeJson }, detection, fingerprint] = await Promise.all([
      provenance.readFileWithStore(signed),
      detectFile(signed, deps.watermarkKey, { maxSeconds: WATERMARK_CHECK_SEC }),
      fingerprintMedia(signed),
    ]);
    if (
      manifest.verdict !== 'valid_trusted' ||
      manifest.generationId !== g.id ||
      manifest.softBinding?.payloadHex !== payloadHex
    ) {
      throw new Error(`The signed manifest did not verify (verdict ${manifest.verdict}).`);
    }
    if (!detection.detected || detection.payloadHex !== payloadHex) {
      throw new Error('The watermark could not be read back from the stamped clip, so it was not delivered.');
    }
    timings.readBack = Date.now() - t1;
    await passed(
      g,
      token,
      'stamping',
      'Watermark embedded and read back; Content Credentials signed and verified.',
      {
        payloadHex,
        verdict: manifest.verdict,
        watermarkPValue: detection.pValue,
        // The picture mark is required above; the sound mark is recorded (it cannot mark silence
        // or pure tones, so requiring it would refuse clips the picture mark already carries).
        soundMark: detection.audio
          ? { detected: detection.audio.detected, payloadRead: detection.audio.payloadHex === payloadHex }
          : null,
      },
    );
    lap('stamping', t0);

    // 7. Deliver: re-check consent, put the blob (recorded as pending first), then one transaction.
    t0 = Date.now();
    await consentStillHolds(g, token, cameos, 'while the clip was being made');
    const bytes = await fs.promises.readFile(signed);
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    await repo.addPendingOutput(db, sha256, g.id, token);
    const put = await blobs.put({ path: signed });
    await deps.hold('stamping:afterPut', g.prompt);
    const committed = await db.transaction(async (tx) => {
      if (
        !(await repo.markDone(tx, g.id, token, {
          outputKey: put.key,
          sha256,
          bytes: put.size,
          ledgerPayload: payloadHex,
        }))
      )
        return false;
      await ledgerRepository.insert(tx, {
        payloadHex,
        generationId: g.id,
        creatorId: g.requester_id,
        cameoIds: cameos.map((c) => c.cameoId),
        contentSha256: sha256,
        blobKey: put.key,
        mimeType: 'video/mp4',
        durationSec: Number(g.duration_sec),
        width: g.width,
        height: g.height,
        manifest,
        manifestStoreJson: storeJson,
        fingerprint,
      });
      await repo.removePendingOutput(tx, put.key, token);
      await recordDecision(tx, g, {
        stage: 'done',
        decision: 'delivered',
        progress: 1,
        message: 'The clip is ready.',
        details: { sha256, bytes: put.size, payloadHex, timingsMs: { ...timings, deliver: Date.now() - t0 } },
        actorId: null,
      });
      return true;
    });
    if (!committed) {
      // Someone ended the row meanwhile: the clip must not stay behind.
      if (!(await repo.isOutputReferenced(db, put.key))) await blobs.delete(put.key);
      await repo.removePendingOutput(db, put.key, token);
      throw new GenerationStopped();
    }
    lap('deliver', t0);
  }

  return { run };
}

const SCAN_MATCH = SAME_PERSON_MAX_DISTANCE;
const round = (x: number) => Math.round(x * 1000) / 1000;

function refusalOfError(e: unknown): Refusal | null {
  if (e instanceof PolicyRefusal) return { stage: 'policy', rule: e.code, message: e.message };
  return null;
}

function failureText(e: unknown): string {
  if (e instanceof ModelOutputRejected) return e.message;
  if (isAppError(e) && e.status < 500) return e.message;
  return `The generation failed: ${(e as Error).message ?? String(e)}`.slice(0, 500);
}
