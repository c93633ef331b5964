import type { Logger } from 'pino';
import type { AuthContext } from '../accounts/account-service';
import type { AccountView } from '../accounts/account-schemas';
import { appendAudit } from '../audit/audit-repository';
import type { Database } from '../db/database';
import { faceDistance } from '../faces/match';
import { Conflict, Invalid, NotFound, PolicyRefusal } from '../http/errors';
import { openBiometrics, openFaceTemplate } from './cameo-crypto';
import {
  consentRepository as repo,
  toBuffer,
  type CameoMetaRow,
  type Visibility,
} from './consent-repository';
import type { CameoView } from './consent-schemas';
import { checkRules } from './rules';
import type { CameoForGeneration, ConsentService } from './consent-types';

export interface CameoServiceDeps {
  db: Database;
  masterKey: Buffer;
  logger: Logger;
  accounts: { findByHandle(handle: string): Promise<AccountView | null> };
}

type Permission = { ok: true } | { ok: false; code: string; reason: string };

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export type CameoService = ReturnType<typeof createCameoService>;

export function createCameoService(deps: CameoServiceDeps) {
  const { db, masterKey, logger, accounts } = deps;
  const revokedListeners: ((cameoId: string) => Promise<void> | void)[] = [];

  async function view(c: CameoMetaRow): Promise<CameoView> {
    return {
      id: c.id,
      handle: c.handle,
      status: c.status,
      visibility: c.visibility,
      paused: c.paused,
      rules: c.rules,
      approvedHandles: await repo.approvedHandles(db, c.id),
      consentedAt: iso(c.consented_at)!,
      revokedAt: iso(c.revoked_at),
      enrollmentId: c.enrollment_id,
    };
  }

  async function owned(ownerId: string, cameoId: string): Promise<CameoMetaRow> {
    const c = await repo.findCameo(db, cameoId);
    // Someone else's cameo is answered exactly like a missing one.
    if (!c || c.owner_id !== ownerId) throw new NotFound('cameo_not_found', 'No cameo of yours has this id.');
    return c;
  }

  function activeOrConflict(c: CameoMetaRow): void {
    if (c.status !== 'active')
      throw new Conflict('cameo_revoked', 'This cameo was revoked; nothing about it can change now.');
  }

  async function account(handle: string): Promise<AccountView> {
    const a = await accounts.findByHandle(handle);
    if (!a) throw new NotFound('account_not_found', `No account has the handle "${handle}".`);
    return a;
  }

  /** Whether `requesterId` may put this cameo in a clip now, with the reason in plain words when not. */
  async function permission(requesterId: string, c: CameoMetaRow): Promise<Permission> {
    const at = `@${c.handle}`;
    if (c.status !== 'active')
      return { ok: false, code: 'cameo_revoked', reason: `${at} has revoked their cameo.` };
    if (c.paused)
      return {
        ok: false,
        code: 'cameo_paused',
        reason: `${at} has paused their cameo; nobody can use it for now.`,
      };
    if (requesterId === c.owner_id) return { ok: true };
    const v: Visibility = c.visibility;
    if (v === 'everyone') return { ok: true };
    if (v === 'only_me')
      return { ok: false, code: 'not_permitted', reason: `${at} lets only themselves use their cameo.` };
    if (await repo.isApproved(db, c.id, requesterId)) return { ok: true };
    if (v === 'mutuals' && (await repo.areMutuals(db, requesterId, c.owner_id))) return { ok: true };
    return {
      ok: false,
      code: 'not_permitted',
      reason:
        v === 'approved'
          ? `${at} lets only people they approved use their cameo, and you are not one of them.`
          : `${at} lets only people they approved or mutual follows use their cameo; you do not follow each other.`,
    };
  }

  /** The cameo a handle currently offers: its active one, else its latest (revoked) one, else null. */
  async function cameoOfHandle(handle: string): Promise<CameoMetaRow | null> {
    const a = await accounts.findByHandle(handle);
    if (!a) return null;
    return (await repo.findActiveByOwner(db, a.id)) ?? (await repo.listOwnerCameos(db, a.id))[0] ?? null;
  }

  const service: ConsentService = {
    async resolveCameosForGeneration(requesterId, handles) {
      const unique = [
        ...new Map(handles.map((h) => [h.replace(/^@/, '').toLowerCase(), h.replace(/^@/, '')])).values(),
      ];
      // Every named cameo is looked up first: when one refuses, the owners of all of them see the
      // attempt that tried to use their likeness (details.attempted), not only the refusing one.
      const metas = await Promise.all(unique.map((h) => cameoOfHandle(h)));
      const attempted = metas.flatMap((c) => (c ? [{ cameoId: c.id, ownerId: c.owner_id }] : []));
      const refuse = (code: string, message: string, details: Record<string, unknown>) =>
        new PolicyRefusal(code, message, { ...details, attempted });
      const out: CameoForGeneration[] = [];
      for (const [i, handle] of unique.entries()) {
        const c = metas[i];
        if (!c) {
          throw refuse('cameo_unavailable', `@${handle} has no cameo, so they cannot appear in a clip.`, {
            handle,
          });
        }
        const p = await permission(requesterId, c);
        if (!p.ok) throw refuse(p.code, p.reason, { handle: c.handle, cameoId: c.id });
        const full = await repo.findCameoWithBiometrics(db, c.id);
        if (
          !full ||
          full.status !== 'active' ||
          !full.wrapped_key ||
          !full.face_template_enc ||
          !full.voice_template_enc ||
          !full.reference_image_enc
        ) {
          throw refuse('cameo_revoked', `@${c.handle} has revoked their cameo.`, {
            handle: c.handle,
            cameoId: c.id,
          });
        }
        const bio = openBiometrics(masterKey, c.id, {
          wrappedKey: toBuffer(full.wrapped_key),
          faceTemplate: toBuffer(full.face_template_enc),
          voiceTemplate: toBuffer(full.voice_template_enc),
          referenceImage: toBuffer(full.reference_image_enc),
        });
        out.push({
          cameoId: c.id,
          ownerId: c.owner_id,
          handle: c.handle,
          rules: [...full.rules],
          referenceImageJpeg: bio.referenceImageJpeg,
          faceTemplate: bio.faceTemplate,
        });
      }
      return out;
    },

    checkPromptAgainstRules(cameos, prompt) {
      return cameos.flatMap((c) =>
        checkRules(c.rules, prompt).map((v) => ({
          cameoId: c.cameoId,
          rule: v.rule,
          message: `@${c.handle}: ${v.message}`,
        })),
      );
    },

    async stillConsenting(cameoIds) {
      for (const id of new Set(cameoIds)) {
        const c = await repo.findCameo(db, id);
        if (!c || c.status !== 'active' || c.paused) return false;
      }
      return true;
    },

    async nearestCameoFace(descriptor, opts = {}) {
      let best: { cameoId: string; distance: number } | null = null;
      for (const c of await repo.activeFaceTemplates(db, { excludeCameoIds: opts.excludeCameoIds ?? [] })) {
        const t = openFaceTemplate(masterKey, c.id, toBuffer(c.wrapped_key), toBuffer(c.face_template_enc));
        const d = faceDistance(descriptor, t);
        if (!best || d < best.distance) best = { cameoId: c.id, distance: d };
      }
      return best;
    },

    async getOwnedCameo(ownerId, cameoId) {
      const c = await owned(ownerId, cameoId);
      return { id: c.id, handle: c.handle, status: c.status };
    },

    onRevoked(listener) {
      revokedListeners.push(listener);
    },
  };

  return {
    service,

    async list(auth: AuthContext): Promise<CameoView[]> {
      return Promise.all((await repo.listOwnerCameos(db, auth.accountId)).map(view));
    },

    async get(auth: AuthContext, id: string): Promise<CameoView> {
      return view(await owned(auth.accountId, id));
    },

    async receipt(auth: AuthContext, id: string): Promise<{ cameoId: string; receipt: string }> {
      const c = await owned(auth.accountId, id);
      return { cameoId: c.id, receipt: c.receipt };
    },

    async update(
      auth: AuthContext,
      id: string,
      s: { visibility?: Visibility; paused?: boolean; rules?: string[] },
    ): Promise<CameoView> {
      activeOrConflict(await owned(auth.accountId, id));
      const updated = await db.transaction(async (tx) => {
        const u = await repo.updateSettings(tx, id, s);
        if (!u) return null;
        await appendAudit(tx, {
          actorId: auth.accountId,
          action: 'cameo.settings_changed',
          subjectType: 'cameo',
          subjectId: id,
          details: {
            ...(s.visibility !== undefined ? { visibility: s.visibility } : {}),
            ...(s.paused !== undefined ? { paused: s.paused } : {}),
            ...(s.rules !== undefined ? { rules: s.rules } : {}),
          },
        });
        return u;
      });
      if (!updated)
        throw new Conflict('cameo_revoked', 'This cameo was revoked; nothing about it can change now.');
      return view(updated);
    },

    async setApproval(auth: AuthContext, id: string, handle: string, approve: boolean): Promise<CameoView> {
      const c = await owned(auth.accountId, id);
      activeOrConflict(c);
      const who = await account(handle);
      if (who.id === auth.accountId)
        throw new Invalid('self_approval', 'You can always use your own cameo; approve other people.');
      await db.transaction(async (tx) => {
        const changed = approve
          ? await repo.addApproval(tx, id, who)
          : await repo.removeApproval(tx, id, who.id);
        if (!changed) return;
        await appendAudit(tx, {
          actorId: auth.accountId,
          action: approve ? 'cameo.approval_added' : 'cameo.approval_removed',
          subjectType: 'cameo',
          subjectId: id,
          details: { accountId: who.id },
        });
      });
      return view((await repo.findCameo(db, id))!);
    },

    /** Destroys the data key and the sealed biometrics in one transaction, then tells the listeners. */
    async revoke(auth: AuthContext, id: string): Promise<CameoView> {
      const c = await owned(auth.accountId, id);
      if (c.status !== 'active') return view(c);
      const revoked = await db.transaction(async (tx) => {
        const r = await repo.revoke(tx, id);
        if (!r) return null;
        await appendAudit(tx, {
          actorId: auth.accountId,
          action: 'cameo.revoked',
          subjectType: 'cameo',
          subjectId: id,
          details: {
            enrollmentId: r.enrollment_id,
            consentedAt: iso(r.consented_at),
            biometricsDestroyed: true,
          },
        });
        return r;
      });
      if (!revoked) return view((await repo.findCameo(db, id))!);
      for (const l of revokedListeners) {
        try {
          await l(id);
        } catch (e) {
          logger.error({ cameoId: id, err: (e as Error)?.message }, 'a revocation listener failed');
        }
      }
      return view(revoked);
    },

    async availability(
      requesterId: string,
      handle: string,
    ): Promise<{ handle: string; available: boolean; reason: string | null }> {
      const c = await cameoOfHandle(handle);
      if (!c) return { handle, available: false, reason: `@${handle} has no cameo.` };
      const p = await permission(requesterId, c);
      return { handle: c.handle, available: p.ok, reason: p.ok ? null : p.reason };
    },

    async follow(
      auth: AuthContext,
      handle: string,
      on: boolean,
    ): Promise<{ handle: string; following: boolean; mutual: boolean }> {
      const who = await account(handle);
      if (who.id === auth.accountId) throw new Invalid('self_follow', 'You cannot follow yourself.');
      await db.transaction(async (tx) => {
        const changed = on
          ? await repo.follow(tx, auth.accountId, who.id)
          : await repo.unfollow(tx, auth.accountId, who.id);
        if (!changed) return;
        await appendAudit(tx, {
          actorId: auth.accountId,
          action: on ? 'follow.added' : 'follow.removed',
          subjectType: 'account',
          subjectId: who.id,
          details: {},
        });
      });
      return {
        handle: who.handle,
        following: on,
        mutual: on && (await repo.areMutuals(db, auth.accountId, who.id)),
      };
    },

    async reviews(q: { status?: 'open' | 'closed'; limit: number }) {
      return (await repo.listReviews(db, q)).map((r) => ({
        id: r.id,
        kind: r.kind,
        enrollmentId: r.enrollment_id,
        accountId: r.account_id,
        matchedCameoId: r.matched_cameo_id,
        distance: Number(r.distance),
        status: r.status,
        createdAt: new Date(r.created_at).toISOString(),
      }));
    },
  };
}
