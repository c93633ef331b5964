import crypto from 'node:crypto';
import { appendAudit } from '../audit/audit-repository';
import { checkToken, issueToken, type TokenSettings } from '../auth/tokens';
import type { Database } from '../db/database';
import { Conflict, Forbidden, Invalid, NotFound, Unauthenticated } from '../http/errors';
import { accountRepository, type AccountRow } from './account-repository';
import type { AccountView } from './account-schemas';
import { dummyHash, hashPassword, verifyPassword } from './password';
import type { Role } from './roles';

export interface AuthContext {
  accountId: string;
  handle: string;
  roles: Role[];
}

export function toAccountView(a: AccountRow): AccountView {
  return {
    id: a.id,
    handle: a.handle,
    displayName: a.display_name,
    roles: a.roles,
    createdAt: new Date(a.created_at).toISOString(),
  };
}

export type AccountService = ReturnType<typeof createAccountService>;

export function createAccountService(deps: { db: Database; tokens: TokenSettings }) {
  const { db, tokens } = deps;

  async function create(
    input: { handle: string; displayName?: string; password: string; roles: Role[] },
    actorId: string | null,
  ): Promise<AccountView> {
    const passwordHash = await hashPassword(input.password);
    const id = crypto.randomUUID();
    const row = await db.transaction(async (tx) => {
      const inserted = await accountRepository.insert(tx, {
        id,
        handle: input.handle,
        displayName: input.displayName ?? input.handle,
        passwordHash,
        roles: [...new Set(input.roles)],
      });
      if (!inserted) return null;
      await appendAudit(tx, {
        actorId: actorId ?? id,
        action: 'account.created',
        subjectType: 'account',
        subjectId: id,
        details: { handle: input.handle, roles: inserted.roles },
      });
      return inserted;
    });
    if (!row) throw new Conflict('handle_taken', `The handle "${input.handle}" is already taken.`);
    return toAccountView(row);
  }

  return {
    create,

    /** The first operator can only be made from the command line, and only once. */
    async createOperator(input: { handle: string; password: string }): Promise<AccountView> {
      return create({ ...input, roles: ['operator'] }, null);
    },

    async issueToken(handle: string, password: string): Promise<{ accessToken: string; expiresIn: number }> {
      const account = await accountRepository.findByHandle(db, handle);
      const ok = account
        ? await verifyPassword(password, account.password_hash)
        : (await verifyPassword(password, await dummyHash()), false);
      if (!account || !ok) {
        await db.transaction((tx) =>
          appendAudit(tx, {
            actorId: account?.id ?? null,
            action: 'auth.login_failed',
            subjectType: 'account',
            subjectId: account?.id ?? null,
            details: { reason: account ? 'wrong_password' : 'unknown_handle' },
          }),
        );
        throw new Unauthenticated('invalid_credentials', 'The handle or password is wrong.');
      }
      return { accessToken: issueToken(tokens, account.id), expiresIn: tokens.ttlSeconds };
    },

    /** Resolves a bearer token to the account it names; every refusal is audited with its reason. */
    async authenticate(token: string | undefined, meta: { path: string }): Promise<AuthContext> {
      const refuse = async (reason: string, accountId: string | null = null): Promise<never> => {
        await db.transaction((tx) =>
          appendAudit(tx, {
            actorId: accountId,
            action: 'auth.refused',
            subjectType: 'request',
            subjectId: meta.path.slice(0, 200),
            details: { reason },
          }),
        );
        throw new Unauthenticated(
          reason === 'missing' ? 'missing_token' : 'invalid_token',
          reason === 'missing'
            ? 'This route needs a bearer token from POST /v1/auth/token.'
            : reason === 'expired'
              ? 'The access token has expired; ask for a new one.'
              : 'The access token is not valid for this service.',
        );
      };
      if (!token) return refuse('missing');
      const checked = checkToken(tokens, token);
      if (!checked.ok) return refuse(checked.reason);
      const account = await accountRepository.findById(db, checked.accountId);
      if (!account) return refuse('unknown_account');
      return { accountId: account.id, handle: account.handle, roles: account.roles };
    },

    async auditForbidden(ctx: AuthContext, needed: readonly Role[], path: string): Promise<void> {
      await db.transaction((tx) =>
        appendAudit(tx, {
          actorId: ctx.accountId,
          action: 'auth.forbidden',
          subjectType: 'request',
          subjectId: path.slice(0, 200),
          details: { needed: [...needed], held: ctx.roles },
        }),
      );
    },

    async me(ctx: AuthContext): Promise<AccountView> {
      const a = await accountRepository.findById(db, ctx.accountId);
      if (!a) throw new NotFound('account_not_found', 'This account no longer exists.');
      return toAccountView(a);
    },

    async findByHandle(handle: string): Promise<AccountView | null> {
      const a = await accountRepository.findByHandle(db, handle);
      return a ? toAccountView(a) : null;
    },

    async list(q: { limit: number; role?: Role }): Promise<AccountView[]> {
      return (await accountRepository.list(db, q)).map(toAccountView);
    },

    async grantRole(actor: AuthContext | null, accountId: string, role: Role): Promise<AccountView> {
      return changeRole(actor, accountId, role, 'grant');
    },

    async revokeRole(actor: AuthContext | null, accountId: string, role: Role): Promise<AccountView> {
      return changeRole(actor, accountId, role, 'revoke');
    },
  };

  async function changeRole(
    actor: AuthContext | null,
    accountId: string,
    role: Role,
    op: 'grant' | 'revoke',
  ): Promise<AccountView> {
    if (actor && !actor.roles.includes('operator')) {
      throw new Forbidden('operator_only', 'Only an operator can change roles.');
    }
    const row = await db.transaction(async (tx) => {
      const a = await tx.query<AccountRow>('select * from accounts where id = $1 for update', [accountId]);
      const current = a.rows[0];
      if (!current) return null;
      const roles =
        op === 'grant' ? [...new Set([...current.roles, role])] : current.roles.filter((r) => r !== role);
      if (op === 'revoke' && role === 'operator' && actor?.accountId === accountId) {
        throw new Invalid('cannot_revoke_self', 'An operator cannot remove their own operator role.');
      }
      const updated = await accountRepository.setRoles(tx, accountId, roles);
      await appendAudit(tx, {
        actorId: actor?.accountId ?? null,
        action: op === 'grant' ? 'account.role_granted' : 'account.role_revoked',
        subjectType: 'account',
        subjectId: accountId,
        details: { role },
      });
      return updated;
    });
    if (!row) throw new NotFound('account_not_found', 'No account has this id.');
    return toAccountView(row);
  }
}
