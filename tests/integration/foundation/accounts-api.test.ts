import jwt from 'jsonwebtoken';
import request from 'supertest';
import {
  backends,
  makeOperator,
  signUp,
  startTestService,
  uniqueHandle,
  type TestService,
} from '../../helpers/runtime';

describe.each(backends())('accounts and tokens ($name)', (backend) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(backend);
  });
  afterAll(() => svc.close());

  const auditCount = async (action: string) =>
    Number(
      (
        await svc.rt.db.query<{ n: number }>('select count(*)::int as n from audit_log where action = $1', [
          action,
        ])
      ).rows[0].n,
    );

  it('signs up a creator and cameo owner, issues a token and reads the account back', async () => {
    const handle = uniqueHandle('maya');
    const created = await request(svc.app)
      .post('/v1/accounts')
      .send({ handle, password: 'correct horse battery', roles: ['creator', 'cameo_owner'] })
      .expect(201);
    expect(created.body).toMatchObject({ handle, roles: ['creator', 'cameo_owner'] });
    expect(created.body.passwordHash).toBeUndefined();
    const tok = await request(svc.app)
      .post('/v1/auth/token')
      .send({ handle, password: 'correct horse battery' })
      .expect(200);
    expect(tok.body.tokenType).toBe('Bearer');
    const decoded = jwt.decode(tok.body.accessToken, { complete: true })!;
    expect(decoded.header.alg).toBe('HS256');
    expect(decoded.payload).toMatchObject({ iss: 'consentry', aud: 'consentry-api', sub: created.body.id });
    const me = await request(svc.app)
      .get('/v1/accounts/me')
      .set('authorization', `Bearer ${tok.body.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(created.body.id);
  });

  it('refuses a duplicate handle (any case) with 409 and leaves one row', async () => {
    const handle = uniqueHandle('dup');
    await request(svc.app).post('/v1/accounts').send({ handle, password: 'long password 1' }).expect(201);
    const r = await request(svc.app)
      .post('/v1/accounts')
      .send({ handle: handle.toUpperCase(), password: 'long password 2' })
      .expect(409);
    expect(r.body.error).toMatchObject({ code: 'handle_taken' });
    expect(r.body.error.requestId).toEqual(expect.any(String));
    const rows = await svc.rt.db.query('select id from accounts where lower(handle) = lower($1)', [handle]);
    expect(rows.rows).toHaveLength(1);
  });

  it('refuses unknown fields, wrong types and self-granted rightsholder roles with the field named', async () => {
    const unknown = await request(svc.app)
      .post('/v1/accounts')
      .send({ handle: uniqueHandle(), password: 'long password 1', admin: true })
      .expect(400);
    expect(unknown.body.error.code).toBe('invalid_request');
    expect(unknown.body.error.message).toMatch(/admin/);
    const wrongType = await request(svc.app)
      .post('/v1/accounts')
      .send({ handle: 42, password: 'x' })
      .expect(400);
    expect(wrongType.body.error.message).toMatch(/handle/);
    const role = await request(svc.app)
      .post('/v1/accounts')
      .send({ handle: uniqueHandle(), password: 'long password 1', roles: ['rightsholder'] })
      .expect(400);
    expect(role.body.error.message).toMatch(/creator and cameo_owner/);
  });

  it('answers invalid JSON with 400 and an oversized body with 413', async () => {
    const bad = await request(svc.app)
      .post('/v1/accounts')
      .set('content-type', 'application/json')
      .send('{"handle":');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const big = await request(svc.app)
      .post('/v1/accounts')
      .send({ handle: 'x'.repeat(400 * 1024), password: 'long password 1' });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('body_too_large');
  });

  it('refuses forged, expired, alg:none, wrong-audience tokens with 401 and audits each', async () => {
    const user = await signUp(svc.app, ['creator']);
    const before = await auditCount('auth.refused');
    const base = { sub: user.id, iss: 'consentry', aud: 'consentry-api' };
    const secret = svc.rt.secrets.jwtSecret;
    const tokens = {
      none: jwt.sign(base, '', { algorithm: 'none' }),
      otherKey: jwt.sign(base, 'another key that is long enough to be a key', {
        algorithm: 'HS256',
        expiresIn: 60,
      }),
      otherAudience: jwt.sign({ ...base, aud: 'someone-else' }, secret, {
        algorithm: 'HS256',
        expiresIn: 60,
      }),
      expired: jwt.sign({ ...base, exp: Math.floor(Date.now() / 1000) - 10 }, secret, { algorithm: 'HS256' }),
      garbage: 'not.a.token',
    };
    for (const [name, t] of Object.entries(tokens)) {
      const r = await request(svc.app).get('/v1/accounts/me').set('authorization', `Bearer ${t}`);
      expect({ name, status: r.status }).toEqual({ name, status: 401 });
      expect(r.body.error.code).toBe('invalid_token');
    }
    expect(await auditCount('auth.refused')).toBe(before + Object.keys(tokens).length);
  });

  it('refuses a role the account lacks with 403 and audits it; operators grant rightsholder', async () => {
    const user = await signUp(svc.app, ['creator']);
    const before = await auditCount('auth.forbidden');
    const r = await request(svc.app).get('/v1/audit/verify').set(user.auth);
    expect(r.status).toBe(403);
    expect(await auditCount('auth.forbidden')).toBe(before + 1);
    const selfGrant = await request(svc.app)
      .post(`/v1/accounts/${user.id}/roles`)
      .set(user.auth)
      .send({ role: 'rightsholder' });
    expect(selfGrant.status).toBe(403);
    const op = await makeOperator(svc);
    const granted = await request(svc.app)
      .post(`/v1/accounts/${user.id}/roles`)
      .set(op.auth)
      .send({ role: 'rightsholder' })
      .expect(200);
    expect(granted.body.roles).toEqual(['creator', 'rightsholder']);
  });

  it('refuses a wrong password with 401 without saying whether the handle exists', async () => {
    const user = await signUp(svc.app);
    const wrong = await request(svc.app)
      .post('/v1/auth/token')
      .send({ handle: user.handle, password: 'nope nope nope' });
    const unknown = await request(svc.app)
      .post('/v1/auth/token')
      .send({ handle: 'no_such_person', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
  });
});
