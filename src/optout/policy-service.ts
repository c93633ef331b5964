/**
 * The policy every prompt, reference image and output frame passes: text against the registry's
 * names and descriptions, images against registered reference images (perceptual hash) and faces
 * of protected real people, and reference images' own Content Credentials. Each refusal is
 * recorded for the rightsholder's statistics with the requester's id sealed.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../db/database';
import { faceDistance, SAME_PERSON_STRICT } from '../faces';
import { Invalid, UnsupportedMedia } from '../http/errors';
import type { Provenance } from '../provenance';
import type { ManifestSummary } from '../provenance';
import type { FaceDetector } from './entry-service';
import { MIN_IMAGE_QUALITY } from './entry-service';
import { imageHash, validatePrompt, type ImageHashResult, type TextMatch } from './matching';
import { optoutRepository } from './optout-repository';
import type { IndexedEntry, RegistryIndex } from './registry-index';
import { seal } from './sealed';
import type { OptoutService, PolicyDecision, PolicyMatch } from './types';

/**
 * 40 of 256 bits. Resizing and recompression stay under 12; crops of 5-10 % land within 17-46 of the
 * stored crop hash nearest them; different images stay 106+ apart even at their nearest crop hash
 * (npm run bench -- optout).
 */
export const IMAGE_MATCH_MAX_DISTANCE = 40;
/** Refusing a real person is severe, so the face module's strict threshold. */
export const FACE_MATCH_MAX_DISTANCE = SAME_PERSON_STRICT;
export const MAX_IMAGES_PER_CHECK = 8;

const KIND_LABEL: Record<string, string> = {
  character: 'the protected character',
  real_person: 'the protected real person',
  work: 'the protected work',
  brand: 'the protected brand',
};

/** The matching engine's prompt checks, plus U+FFFD: what a decoder leaves where the bytes were not UTF-8. */
export function validatePromptText(prompt: unknown): string {
  const text = validatePrompt(prompt);
  if (text.includes('\uFFFD')) {
    throw new Invalid(
      'prompt_encoding',
      'The prompt contains bytes that were not valid UTF-8 (shown as U+FFFD); send valid UTF-8 text.',
    );
  }
  return text;
}

export const blockContext = (blockId: string): string => `optout.block:${blockId}`;

type Source = 'check' | 'generation' | 'output';

interface Hit {
  entry: IndexedEntry;
  rule: string;
  message: string;
  span?: PolicyMatch['span'];
}

export interface PolicyServiceDeps {
  db: Database;
  index: RegistryIndex;
  provenance: Pick<Provenance, 'read'>;
  masterKey: Buffer;
  detectFaces: FaceDetector;
  logger: Logger;
}

function licenceNote(e: IndexedEntry): string {
  return e.policy === 'licensed_only' ? ' Only accounts licensed by the rightsholder may use it.' : '';
}

function who(e: IndexedEntry): string {
  return `${KIND_LABEL[e.kind] ?? 'the protected entry'} ${e.canonicalName} (registered by ${e.ownerName})`;
}

function toMatch(h: Hit): PolicyMatch {
  return {
    entryId: h.entry.id,
    name: h.entry.canonicalName,
    kind: h.entry.kind,
    owner: h.entry.ownerName,
    rule: h.rule,
    ...(h.span ? { span: h.span } : {}),
    message: h.message,
  };
}

function provenanceRefusal(i: number, s: ManifestSummary): PolicyMatch | null {
  const tm = s.trainingMining;
  if (!tm || !(tm.inferenceNotAllowed || tm.generativeTrainingNotAllowed)) return null;
  const uses = [
    tm.inferenceNotAllowed ? 'use as an input to AI' : null,
    tm.generativeTrainingNotAllowed ? 'generative AI training' : null,
  ]
    .filter(Boolean)
    .join(' and ');
  const signer = s.signer?.subject ?? 'an unnamed signer';
  return {
    entryId: `c2pa:reference-${i + 1}`,
    name: `Content Credentials of reference image ${i + 1}`,
    kind: 'provenance',
    owner: signer,
    rule: 'c2pa_ai_use_reserved',
    message: `Reference image ${i + 1} carries Content Credentials (signed by ${signer}) in which its owner does not allow ${uses}, so it cannot be used as a reference.`,
  };
}

export function createPolicyService(deps: PolicyServiceDeps): OptoutService & {
  checkText(prompt: string, ctx: { requesterId: string; source: Source }): Promise<PolicyDecision>;
} {
  const { db, index, masterKey } = deps;

  function refusesFor(e: IndexedEntry, requesterId: string): boolean {
    return !(e.policy === 'licensed_only' && e.licenseeSet.has(requesterId));
  }

  async function record(
    hits: Hit[],
    ctx: { requesterId: string; source: Source },
    prompt: string | null,
  ): Promise<void> {
    const perEntry = new Map<string, Hit>();
    for (const h of hits) if (!perEntry.has(h.entry.id)) perEntry.set(h.entry.id, h);
    const rows = [...perEntry.values()].map((h) => {
      const id = crypto.randomUUID();
      const s = seal(masterKey, blockContext(id), Buffer.from(ctx.requesterId, 'utf8'));
      return {
        id,
        entryId: h.entry.id,
        ownerId: h.entry.ownerId,
        source: ctx.source,
        rule: h.rule,
        prompt,
        wrappedKey: s.wrappedKey,
        sealed: s.sealed,
      };
    });
    await optoutRepository.insertBlocks(db, rows);
  }

  async function hashOf(bytes: Buffer, label: string): Promise<ImageHashResult> {
    try {
      return await imageHash(bytes);
    } catch (e) {
      if (e instanceof UnsupportedMedia) {
        throw new UnsupportedMedia(
          'image_unsupported',
          `${label} is not an image this service can read; send a JPEG, PNG, WebP, GIF, AVIF or TIFF image.`,
        );
      }
      throw e;
    }
  }

  function imageHits(
    hash: ImageHashResult,
    requesterId: string,
    describe: (e: IndexedEntry, d: number) => string,
  ): Hit[] {
    if (hash.quality < MIN_IMAGE_QUALITY) return [];
    const hits: Hit[] = [];
    for (const { id, distance } of index.imageIndex().nearest(hash.hash, IMAGE_MATCH_MAX_DISTANCE)) {
      const e = index.entry(id);
      if (e && refusesFor(e, requesterId))
        hits.push({ entry: e, rule: 'reference_image', message: describe(e, distance) });
    }
    return hits;
  }

  /** Reference faces of real people the requester is not licensed for; empty means no detection is needed. */
  function enforceableFaces(requesterId: string): [IndexedEntry, Float32Array[]][] {
    const out: [IndexedEntry, Float32Array[]][] = [];
    for (const [entryId, ds] of index.referenceFaces()) {
      const e = index.entry(entryId);
      if (e && refusesFor(e, requesterId)) out.push([e, ds]);
    }
    return out;
  }

  function faceHits(
    descriptors: Float32Array[],
    refs: [IndexedEntry, Float32Array[]][],
    describe: (e: IndexedEntry) => string,
  ): Hit[] {
    const hits: Hit[] = [];
    for (const [e, ds] of refs) {
      const near = descriptors.some(
        (q) =>
          q.length > 0 &&
          ds.some((r) => r.length === q.length && faceDistance(q, r) <= FACE_MATCH_MAX_DISTANCE),
      );
      if (near) hits.push({ entry: e, rule: 'reference_face', message: describe(e) });
    }
    return hits;
  }

  function checkImageCount(images: Buffer[], what: string): void {
    if (!Array.isArray(images) || images.some((b) => !Buffer.isBuffer(b)))
      throw new Invalid('images_invalid', `The ${what} must be image bytes.`);
  }

  async function checkText(
    prompt: string,
    ctx: { requesterId: string; source: Source },
  ): Promise<PolicyDecision> {
    const text = validatePromptText(prompt);
    await index.ready();
    const matches: TextMatch[] = index.textIndex().match(text, { requesterId: ctx.requesterId });
    const hits: Hit[] = [];
    for (const m of matches) {
      if (m.allowedByLicence) continue;
      const e = index.entry(m.entryId);
      if (!e) continue;
      hits.push({ entry: e, rule: m.rule, span: m.span, message: m.message });
    }
    if (hits.length) await record(hits, ctx, text);
    return { allowed: hits.length === 0, matches: hits.map(toMatch) };
  }

  return {
    checkText,

    checkPrompt(prompt, ctx) {
      return checkText(prompt, ctx);
    },

    async checkReferenceImages(images, ctx) {
      checkImageCount(images, 'reference images');
      if (images.length > MAX_IMAGES_PER_CHECK) {
        throw new Invalid(
          'too_many_images',
          `At most ${MAX_IMAGES_PER_CHECK} reference images are checked at once; ${images.length} were sent.`,
        );
      }
      // Every image is decoded before anything is decided, so a broken one is a 4xx, not a partial answer.
      const hashes = await Promise.all(images.map((b, i) => hashOf(b, `Reference image ${i + 1}`)));
      await index.ready();
      const provenanceMatches: PolicyMatch[] = [];
      const hits: Hit[] = [];
      const refs = enforceableFaces(ctx.requesterId);
      for (let i = 0; i < images.length; i++) {
        let summary: ManifestSummary | null = null;
        try {
          summary = await deps.provenance.read(images[i]);
        } catch (e) {
          // A format the C2PA reader does not handle carries no manifest we could honour.
          deps.logger.debug({ err: e }, 'reference image provenance unreadable');
        }
        const p = summary ? provenanceRefusal(i, summary) : null;
        if (p) provenanceMatches.push(p);
        const label = `Reference image ${i + 1}`;
        hits.push(
          ...imageHits(
            hashes[i],
            ctx.requesterId,
            (e) =>
              `${label} is a copy of a registered reference image of ${who(e)}, even if resized, recompressed or mirrored.${licenceNote(e)}`,
          ),
        );
        if (refs.length) {
          const faces = await deps.detectFaces(images[i]);
          hits.push(
            ...faceHits(
              faces.map((f) => f.descriptor),
              refs,
              (e) => `${label} shows the face of ${who(e)}.${licenceNote(e)}`,
            ),
          );
        }
      }
      if (hits.length) await record(hits, { requesterId: ctx.requesterId, source: ctx.source }, null);
      const matches = [...provenanceMatches, ...hits.map(toMatch)];
      return { allowed: matches.length === 0, matches };
    },

    async checkOutputFrames(frames, ctx) {
      checkImageCount(frames, 'output frames');
      const hashes = await Promise.all(frames.map((b, i) => hashOf(b, `Output frame ${i + 1}`)));
      await index.ready();
      const hits: Hit[] = [];
      for (let i = 0; i < frames.length; i++) {
        hits.push(
          ...imageHits(
            hashes[i],
            ctx.requesterId,
            (e) =>
              `Frame ${i + 1} of the generated clip closely resembles a registered reference image of ${who(e)}.${licenceNote(e)}`,
          ),
        );
      }
      const refs = enforceableFaces(ctx.requesterId);
      if (refs.length) {
        let descriptors = ctx.faceDescriptors;
        if (!descriptors) {
          descriptors = [];
          for (const f of frames) descriptors.push(...(await deps.detectFaces(f)).map((d) => d.descriptor));
        }
        hits.push(
          ...faceHits(
            descriptors,
            refs,
            (e) => `The generated clip shows the face of ${who(e)}.${licenceNote(e)}`,
          ),
        );
      }
      if (hits.length) await record(hits, { requesterId: ctx.requesterId, source: 'output' }, null);
      return { allowed: hits.length === 0, matches: hits.map(toMatch) };
    },
  };
}
