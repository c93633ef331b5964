import { z } from 'zod';
import type { ApiRouter } from '../http/api-router';
import type { AccountService } from './account-service';
import {
  accountIdParamsSchema,
  accountViewSchema,
  roleChangeSchema,
  roleParamsSchema,
  signUpSchema,
  tokenRequestSchema,
  tokenResponseSchema,
} from './account-schemas';
import { roleSchema } from './roles';

export function registerAccountRoutes(api: ApiRouter, accounts: AccountService): void {
  api.route(
    {
      method: 'post',
      path: '/v1/accounts',
      summary: 'Sign up as a creator and/or cameo owner',
      tags: ['accounts'],
      auth: null,
      body: signUpSchema,
      response: accountViewSchema,
      status: 201,
    },
    ({ body }) => accounts.create(body, null),
  );

  api.route(
    {
      method: 'post',
      path: '/v1/auth/token',
      summary: 'Exchange a handle and password for a short-lived access token',
      tags: ['accounts'],
      auth: null,
      body: tokenRequestSchema,
      response: tokenResponseSchema,
    },
    async ({ body }) => ({ ...(await accounts.issueToken(body.handle, body.password)), tokenType: 'Bearer' }),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/accounts/me',
      summary: 'The signed-in account',
      tags: ['accounts'],
      auth: 'any',
      response: accountViewSchema,
    },
    ({ auth }) => accounts.me(auth!),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/accounts',
      summary: 'List accounts (operators)',
      tags: ['accounts'],
      auth: ['operator'],
      query: z.strictObject({
        role: roleSchema.optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: z.object({ accounts: z.array(accountViewSchema) }),
    },
    async ({ query }) => ({ accounts: await accounts.list(query) }),
  );

  api.route(
    {
      method: 'post',
      path: '/v1/accounts/:id/roles',
      summary: 'Grant a role (operators; the only way to become a rightsholder)',
      tags: ['accounts'],
      auth: ['operator'],
      params: accountIdParamsSchema,
      body: roleChangeSchema,
      response: accountViewSchema,
    },
    ({ auth, params, body }) => accounts.grantRole(auth, params.id, body.role),
  );

  api.route(
    {
      method: 'delete',
      path: '/v1/accounts/:id/roles/:role',
      summary: 'Revoke a role (operators)',
      tags: ['accounts'],
      auth: ['operator'],
      params: roleParamsSchema,
      response: accountViewSchema,
    },
    ({ auth, params }) => accounts.revokeRole(auth, params.id, params.role),
  );
}
