/**
 * What the registry blocked, as the rightsholder sees it (counts and prompt text, never who asked),
 * and the operator's audited release of a requester's identity for one block.
 */
import type { AuthContext } from '../accounts/account-service';
import { appendAudit } from '../audit/audit-repository';
import type { Database } from '../db/database';
import { Invalid, NotFound } from '../http/errors';
import { optoutRepository } from './optout-repository';
import { blockContext } from './policy-service';
import { unseal } from './sealed';

const DAY = 86_400_000;
const MAX_SPAN_DAYS = 366;

export type StatsService = ReturnType<typeof createStatsService>;

export function createStatsService(deps: { db: Database; masterKey: Buffer }) {
  const { db, masterKey } = deps;
  return {
    async stats(auth: AuthContext, q: { from?: Date; to?: Date; bucket: 'day' | 'hour'; limit: number }) {
      const to = q.to ?? new Date(Date.now() + 1000);
      const from = q.from ?? new Date(to.getTime() - 30 * DAY);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
        throw new Invalid('stats_range', 'from and to must be dates.');
      if (from >= to) throw new Invalid('stats_range', 'from must be before to.');
      if (to.getTime() - from.getTime() > MAX_SPAN_DAYS * DAY)
        throw new Invalid('stats_range', `Ask for at most ${MAX_SPAN_DAYS} days at once.`);
      if (q.bucket === 'hour' && to.getTime() - from.getTime() > 31 * DAY) {
        throw new Invalid(
          'stats_range',
          'Hourly buckets cover at most 31 days; use bucket=day for longer ranges.',
        );
      }
      const counts = await optoutRepository.blockCounts(db, {
        ownerId: auth.accountId,
        from,
        to,
        bucket: q.bucket,
      });
      const byEntry = new Map<
        string,
        { entryId: string; name: string; total: number; buckets: { start: string; count: number }[] }
      >();
      for (const c of counts) {
        let e = byEntry.get(c.entry_id);
        if (!e)
          byEntry.set(
            c.entry_id,
            (e = { entryId: c.entry_id, name: c.canonical_name, total: 0, buckets: [] }),
          );
        e.total += c.n;
        e.buckets.push({ start: new Date(c.bucket).toISOString(), count: c.n });
      }
      const recent =
        q.limit === 0
          ? []
          : await optoutRepository.recentBlocks(db, { ownerId: auth.accountId, from, to, limit: q.limit });
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        bucket: q.bucket,
        entries: [...byEntry.values()].sort((a, b) => b.total - a.total),
        recent: recent.map((b) => ({
          id: b.id,
          entryId: b.entry_id,
          name: b.canonical_name,
          source: b.source,
          rule: b.rule,
          prompt: b.prompt,
          at: new Date(b.at).toISOString(),
          ...(b.released_requester_id ? { requesterId: b.released_requester_id } : {}),
        })),
      };
    },

    /** Opens the sealed requester id of one block; the reason is audited with the release. */
    async release(auth: AuthContext, blockId: string, reason: string) {
      const b = await db.transaction(async (tx) => {
        const block = await optoutRepository.findBlock(tx, blockId, { forUpdate: true });
        if (!block) throw new NotFound('block_not_found', 'No block has this id.');
        const requesterId = unseal(masterKey, blockContext(block.id), {
          wrappedKey: block.wrapped_key,
          sealed: block.requester_sealed,
        }).toString('utf8');
        const released = block.released_at
          ? block
          : await optoutRepository.releaseBlock(tx, block.id, requesterId, auth.accountId);
        await appendAudit(tx, {
          actorId: auth.accountId,
          action: 'optout.block_released',
          subjectType: 'optout_block',
          subjectId: block.id,
          details: { entryId: block.entry_id, requesterId, reason, again: !!block.released_at },
        });
        return { ...released, requesterId };
      });
      return {
        blockId: b.id,
        entryId: b.entry_id,
        requesterId: b.requesterId,
        releasedAt: new Date(b.released_at!).toISOString(),
        releasedBy: b.released_by!,
      };
    },
  };
}
