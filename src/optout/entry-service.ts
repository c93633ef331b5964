/**
 * The rightsholder's side of the registry: entries, their reference images, bulk import and export.
 * Every write is audited and appended to the change feed in one transaction, then applied to this
 * process's index at once (other processes pick it up on their next poll).
 */
import crypto from 'node:crypto';
import sharp from 'sharp';
import type { AuthContext, AccountService } from '../accounts/account-service';
import { appendAudit } from '../audit/audit-repository';
import type { Database, Queryable } from '../db/database';
import { Conflict, Invalid, NotFound, PolicyRefusal, UnsupportedMedia } from '../http/errors';
import type { BlobStore } from '../storage/blob-store';
import { imageHash, protectedEntryInputSchema } from './matching';
import type { ImportRow, ParsedRow } from './import-rows';
import {
  optoutRepository,
  type EntryFields,
  type EntryRow,
  type ImageRow,
  type Licensee,
} from './optout-repository';
import type { EntryCreate, EntryPatch, EntryView, RowError } from './optout-schemas';
import { faceContext, type RegistryIndex } from './registry-index';
import { descriptorToBytes, seal } from './sealed';

/** Below this PDQ-style gradient quality an image is too flat for its hash to identify anything. */
export const MIN_IMAGE_QUALITY = 30;

export type FaceDetector = (bytes: Buffer) => Promise<{ descriptor: Float32Array }[]>;

export interface EntryServiceDeps {
  db: Database;
  blobs: BlobStore;
  accounts: AccountService;
  index: RegistryIndex;
  masterKey: Buffer;
  detectFaces: FaceDetector;
}

function iso(d: Date | string): string {
  return new Date(d).toISOString();
}

export function toEntryView(r: EntryRow, images: ImageRow[]): EntryView {
  return {
    id: r.id,
    kind: r.kind,
    canonicalName: r.canonical_name,
    aliases: r.aliases,
    descriptions: r.descriptions,
    policy: r.policy,
    licensees: r.licensees.map((l) => l.handle),
    status: r.status,
    images: images
      .filter((i) => i.entry_id === r.id)
      .map((i) => ({
        id: i.id,
        mediaType: i.media_type,
        width: i.width,
        height: i.height,
        faces: i.faces,
        createdAt: iso(i.created_at),
      })),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    withdrawnAt: r.withdrawn_at ? iso(r.withdrawn_at) : null,
  };
}

/** The matching engine's own rules (names too short to be distinctive, descriptions without distinctive words...). */
function engineErrors(row: number, f: EntryFields): RowError[] {
  const r = protectedEntryInputSchema.safeParse({
    id: f.id,
    ownerId: f.ownerId,
    ownerName: f.ownerName,
    kind: f.kind,
    canonicalName: f.canonicalName,
    aliases: f.aliases,
    descriptions: f.descriptions,
    policy: f.policy,
    licensees: f.licensees.map((l) => l.id),
  });
  if (r.success) return [];
  return r.error.issues.map((i) => ({
    row,
    field: i.path.map(String).join('.') || '(row)',
    message: i.message,
  }));
}

function throwEntryErrors(errors: RowError[]): void {
  if (errors.length === 0) return;
  throw new Invalid('entry_invalid', errors.map((e) => `${e.field}: ${e.message}`).join(' '), {
    fields: errors.map((e) => ({ path: e.field, message: e.message })),
  });
}

export type EntryService = ReturnType<typeof createEntryService>;

export function createEntryService(deps: EntryServiceDeps) {
  const { db, blobs, accounts, index, masterKey } = deps;

  async function ownerName(auth: AuthContext): Promise<string> {
    return (await accounts.me(auth)).displayName;
  }

  /** Resolves licensee handles; unknown handles come back separately so a caller can name them. */
  async function resolveHandles(
    handles: string[],
    cache = new Map<string, Licensee | null>(),
  ): Promise<{ found: Licensee[]; unknown: string[] }> {
    const found: Licensee[] = [];
    const unknown: string[] = [];
    for (const h of [...new Set(handles.map((x) => x.trim()))]) {
      const key = h.toLowerCase();
      if (!cache.has(key)) {
        const a = await accounts.findByHandle(h);
        cache.set(key, a ? { id: a.id, handle: a.handle } : null);
      }
      const l = cache.get(key);
      if (l) found.push(l);
      else unknown.push(h);
    }
    return { found, unknown };
  }

  /** The caller's own entry, else 404 (another rightsholder's entry does not exist for them). */
  async function ownEntry(q: Queryable, auth: AuthContext, id: string, forUpdate = false): Promise<EntryRow> {
    const e = await optoutRepository.findEntry(q, id, { forUpdate });
    if (!e || e.owner_id !== auth.accountId)
      throw new NotFound('entry_not_found', 'You have no opt-out entry with this id.');
    return e;
  }

  async function view(id: string): Promise<EntryView> {
    const e = await optoutRepository.findEntry(db, id);
    if (!e) throw new NotFound('entry_not_found', 'You have no opt-out entry with this id.');
    return toEntryView(e, await optoutRepository.imagesOf(db, [id]));
  }

  async function fieldsFrom(
    auth: AuthContext,
    name: string,
    id: string,
    input: EntryCreate,
    row: number,
    cache?: Map<string, Licensee | null>,
  ) {
    const { found, unknown } = await resolveHandles(input.licensees, cache);
    const fields: EntryFields = {
      id,
      ownerId: auth.accountId,
      ownerName: name,
      kind: input.kind,
      canonicalName: input.canonicalName,
      aliases: [...new Set(input.aliases)],
      descriptions: [...new Set(input.descriptions)],
      policy: input.policy,
      licensees: found,
    };
    const errors: RowError[] = unknown.map((h) => ({
      row,
      field: 'licensees',
      message: `no account has the handle ${h}`,
    }));
    errors.push(...engineErrors(row, fields));
    return { fields, errors };
  }

  function auditFields(f: EntryFields): Record<string, unknown> {
    return {
      kind: f.kind,
      canonicalName: f.canonicalName,
      aliases: f.aliases.length,
      descriptions: f.descriptions.length,
      policy: f.policy,
      licensees: f.licensees.map((l) => l.id),
    };
  }

  return {
    async create(auth: AuthContext, input: EntryCreate): Promise<EntryView> {
      const id = crypto.randomUUID();
      const { fields, errors } = await fieldsFrom(auth, await ownerName(auth), id, input, 1);
      throwEntryErrors(errors);
      await db.transaction(async (tx) => {
        await optoutRepository.insertEntries(tx, [fields]);
        await appendAudit(tx, {
          actorId: auth.accountId,
          action: 'optout.entry_created',
          subjectType: 'optout_entry',
          subjectId: id,
          details: auditFields(fields),
        });
        await optoutRepository.recordChanges(tx, [id]);
      });
      await index.refresh();
      return view(id);
    },

    async list(
      auth: AuthContext,
      q: { status?: 'active' | 'withdrawn'; limit: number; offset: number },
    ): Promise<EntryView[]> {
      const rows = await optoutRepository.listOwnerEntries(db, auth.accountId, q);
      const images = await optoutRepository.imagesOf(
        db,
        rows.map((r) => r.id),
      );
      return rows.map((r) => toEntryView(r, images));
    },

    async get(auth: AuthContext, id: string): Promise<EntryView> {
      await ownEntry(db, auth, id);
      return view(id);
    },

    async update(auth: AuthContext, id: string, patch: EntryPatch): Promise<EntryView> {
      const current = await ownEntry(db, auth, id);
      if (current.status !== 'active')
        throw new Conflict('entry_withdrawn', 'This entry was withdrawn; register a new one instead.');
      const merged: EntryCreate = {
        kind: patch.kind ?? current.kind,
        canonicalName: patch.canonicalName ?? current.canonical_name,
        aliases: patch.aliases ?? current.aliases,
        descriptions: patch.descriptions ?? current.descriptions,
        policy: patch.policy ?? current.policy,
        licensees: patch.licensees ?? current.licensees.map((l) => l.handle),
      };
      const { fields, errors } = await fieldsFrom(auth, current.owner_name, id, merged, 1);
      throwEntryErrors(errors);
      await db.transaction(async (tx) => {
        const locked = await ownEntry(tx, auth, id, true);
        if (locked.status !== 'active')
          throw new Conflict('entry_withdrawn', 'This entry was withdrawn; register a new one instead.');
        await optoutRepository.updateEntries(tx, [fields]);
        await appendAudit(tx, {
          actorId: auth.accountId,
          action: 'optout.entry_updated',
          subjectType: 'optout_entry',
          subjectId: id,
          details: { changed: Object.keys(patch), ...auditFields(fields) },
        });
        await optoutRepository.recordChanges(tx, [id]);
      });
      await index.refresh();
      return view(id);
    },

    /** Withdrawal stops enforcement everywhere within the propagation window; the entry stays for the record. */
    async withdraw(auth: AuthContext, id: string): Promise<EntryView> {
      await db.transaction(async (tx) => {
        const e = await ownEntry(tx, auth, id, true);
        if (e.status !== 'active') return;
        await optoutRepository.withdraw(tx, id);
        await appendAudit(tx, {
          actorId: auth.accountId,
          action: 'optout.entry_withdrawn',
          subjectType: 'optout_entry',
          subjectId: id,
          details: {},
        });
        await optoutRepository.recordChanges(tx, [id]);
      });
      await index.refresh();
      return view(id);
    },

    async addImage(
      auth: AuthContext,
      id: string,
      bytes: Buffer,
    ): Promise<{ entry: EntryView; image: EntryView['images'][number] }> {
      const entry = await ownEntry(db, auth, id);
      if (entry.status !== 'active')
        throw new Conflict('entry_withdrawn', 'This entry was withdrawn; register a new one instead.');
      const hash = await imageHash(bytes);
      const meta = await sharp(bytes).metadata();
      if (!meta.format || !meta.width || !meta.height) {
        throw new UnsupportedMedia(
          'image_unsupported',
          'The upload is not an image this service can read; send a JPEG, PNG, WebP, GIF, AVIF or TIFF image.',
        );
      }
      if (hash.quality < MIN_IMAGE_QUALITY) {
        throw new PolicyRefusal(
          'image_too_flat',
          `The image has too little detail (quality ${hash.quality} of 100, at least ${MIN_IMAGE_QUALITY} needed) to be recognised reliably; it would match unrelated flat images.`,
        );
      }
      const faces = entry.kind === 'real_person' ? await deps.detectFaces(bytes) : [];
      if (faces.length > 1) {
        throw new PolicyRefusal(
          'image_several_faces',
          `The image shows ${faces.length} faces; a reference image of a real person must show only that person.`,
        );
      }
      const { key } = await blobs.put(bytes);
      const imageId = crypto.randomUUID();
      await db.transaction(async (tx) => {
        const locked = await ownEntry(tx, auth, id, true);
        if (locked.status !== 'active')
          throw new Conflict('entry_withdrawn', 'This entry was withdrawn; register a new one instead.');
        await optoutRepository.insertImage(tx, {
          id: imageId,
          entryId: id,
          blobKey: key,
          mediaType: `image/${meta.format === 'heif' ? 'avif' : meta.format}`,
          width: meta.width!,
          height: meta.height!,
          phash: hash.hash,
          phashFlipped: hash.flipped,
          phashCrops: Buffer.concat(hash.cropVariants),
          quality: hash.quality,
        });
        for (const f of faces) {
          const faceId = crypto.randomUUID();
          const s = seal(masterKey, faceContext(faceId), descriptorToBytes(f.descriptor));
          await optoutRepository.insertFace(tx, {
            id: faceId,
            imageId,
            entryId: id,
            wrappedKey: s.wrappedKey,
            sealed: s.sealed,
          });
        }
        await appendAudit(tx, {
          actorId: auth.accountId,
          action: 'optout.image_added',
          subjectType: 'optout_entry',
          subjectId: id,
          details: { imageId, blobKey: key, faces: faces.length },
        });
        await optoutRepository.recordChanges(tx, [id]);
      });
      await index.refresh();
      const v = await view(id);
      return { entry: v, image: v.images.find((i) => i.id === imageId)! };
    },

    /**
     * All or nothing by default: one broken row and nothing is stored, and the answer lists every
     * broken row. With mode valid-only the valid rows are stored and the broken ones reported.
     */
    async importRows(auth: AuthContext, parsed: ParsedRow[], mode: 'all-or-nothing' | 'valid-only') {
      if (parsed.length === 0) throw new Invalid('import_empty', 'The file holds no rows.');
      const name = await ownerName(auth);
      const cache = new Map<string, Licensee | null>();
      const errors: RowError[] = [];
      const creates: EntryFields[] = [];
      const updates: EntryFields[] = [];
      const idsInFile = parsed.map((p) => p.value?.id).filter((x): x is string => !!x);
      const existing = new Map(
        (await optoutRepository.findOwnerEntries(db, auth.accountId, idsInFile)).map((e) => [e.id, e]),
      );
      const seenIds = new Set<string>();
      for (const p of parsed) {
        if (!p.value) {
          errors.push(...p.errors);
          continue;
        }
        const v: ImportRow = p.value;
        const rowErrors: RowError[] = [];
        if (v.id) {
          const e = existing.get(v.id);
          if (!e)
            rowErrors.push({
              row: p.row,
              field: 'id',
              message: 'you have no entry with this id (leave id empty to create one)',
            });
          else if (e.status !== 'active')
            rowErrors.push({
              row: p.row,
              field: 'id',
              message: 'this entry was withdrawn and cannot be changed',
            });
          if (seenIds.has(v.id))
            rowErrors.push({
              row: p.row,
              field: 'id',
              message: 'this id appears on an earlier row of the file',
            });
          seenIds.add(v.id);
        }
        const { fields, errors: fe } = await fieldsFrom(
          auth,
          name,
          v.id ?? crypto.randomUUID(),
          v,
          p.row,
          cache,
        );
        rowErrors.push(...fe);
        if (rowErrors.length) errors.push(...rowErrors);
        else (v.id ? updates : creates).push(fields);
      }
      const rejectedRows = new Set(errors.map((e) => e.row)).size;
      if (errors.length && mode === 'all-or-nothing') {
        throw new Invalid(
          'import_rejected',
          `${rejectedRows} of ${parsed.length} rows have errors, so nothing was stored. Fix them and send the file again, or add ?mode=valid-only to store only the valid rows.`,
          { rows: parsed.length, rejected: rejectedRows, errors },
        );
      }
      const touched = [...creates, ...updates].map((f) => f.id);
      if (touched.length) {
        await db.transaction(async (tx) => {
          await optoutRepository.insertEntries(tx, creates);
          await optoutRepository.updateEntries(tx, updates);
          await appendAudit(tx, {
            actorId: auth.accountId,
            action: 'optout.entries_imported',
            subjectType: 'optout_owner',
            subjectId: auth.accountId,
            details: {
              mode,
              rows: parsed.length,
              created: creates.map((c) => c.id),
              updated: updates.map((u) => u.id),
              rejected: rejectedRows,
            },
          });
          await optoutRepository.recordChanges(tx, touched);
        });
        await index.refresh();
      }
      return {
        mode,
        rows: parsed.length,
        created: creates.length,
        updated: updates.length,
        rejected: rejectedRows,
        errors,
      };
    },

    async exportAll(auth: AuthContext, status: 'active' | 'withdrawn'): Promise<EntryView[]> {
      const rows = await optoutRepository.listOwnerEntries(db, auth.accountId, { status });
      return rows.map((r) => toEntryView(r, []));
    },
  };
}
