import type { Queryable } from '../db/database';
import type { Role } from './roles';

export interface AccountRow {
  id: string;
  handle: string;
  display_name: string;
  password_hash: string;
  roles: Role[];
  created_at: Date;
  updated_at: Date;
}

export const accountRepository = {
  async insert(
    tx: Queryable,
    a: { id: string; handle: string; displayName: string; passwordHash: string; roles: Role[] },
  ): Promise<AccountRow | null> {
    const r = await tx.query<AccountRow>(
      `insert into accounts (id, handle, display_name, password_hash, roles)
       values ($1, $2, $3, $4, $5)
       on conflict (lower(handle)) do nothing
       returning *`,
      [a.id, a.handle, a.displayName, a.passwordHash, a.roles],
    );
    return r.rows[0] ?? null;
  },

  async findById(db: Queryable, id: string): Promise<AccountRow | null> {
    const r = await db.query<AccountRow>('select * from accounts where id = $1', [id]);
    return r.rows[0] ?? null;
  },

  async findByHandle(db: Queryable, handle: string): Promise<AccountRow | null> {
    const r = await db.query<AccountRow>('select * from accounts where lower(handle) = lower($1)', [handle]);
    return r.rows[0] ?? null;
  },

  async findManyByHandles(db: Queryable, handles: string[]): Promise<AccountRow[]> {
    if (handles.length === 0) return [];
    const r = await db.query<AccountRow>('select * from accounts where lower(handle) = any($1::text[])', [
      handles.map((h) => h.toLowerCase()),
    ]);
    return r.rows;
  },

  async setRoles(tx: Queryable, id: string, roles: Role[]): Promise<AccountRow | null> {
    const r = await tx.query<AccountRow>(
      'update accounts set roles = $2, updated_at = now() where id = $1 returning *',
      [id, roles],
    );
    return r.rows[0] ?? null;
  },

  async list(db: Queryable, q: { limit: number; role?: Role }): Promise<AccountRow[]> {
    const r = await db.query<AccountRow>(
      `select * from accounts where ($1::text is null or $1 = any(roles)) order by created_at asc limit $2`,
      [q.role ?? null, q.limit],
    );
    return r.rows;
  },

  async countOperators(db: Queryable): Promise<number> {
    const r = await db.query<{ n: number }>(
      `select count(*)::int as n from accounts where 'operator' = any(roles)`,
    );
    return Number(r.rows[0].n);
  },
};
