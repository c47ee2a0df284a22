import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT_EMAIL, type RunningSimulator, SEED_PEOPLE, TEAM_NAME, startSimulator } from '../../simulator';
import { ManualClock } from './data-api-helpers';
import { ALFA, BRAVO, CHINAPOWER, type Json, api, control, useSimulator } from './helpers';
import { herokuCli } from '../../scripts/official-heroku-cli';

/**
 * The simulator knows people: the team's accounts and their tokens, OAuth authorizations (identity proofs that
 * expire in simulated time and can be revoked), members, team apps and collaborators, and who made each change.
 */

const clock = new ManualClock(new Date().toISOString());
let sim: RunningSimulator;
useSimulator((started) => (sim = started), { clock });

const { alice, bob, carol } = SEED_PEOPLE;
const FORBIDDEN = { id: 'forbidden', message: "This token's scope (identity) does not allow this request." };
const UNAUTHORIZED = { id: 'unauthorized', message: 'Invalid credentials provided.' };

/** A request with `token` as the Bearer token (the helpers' `api` presents the simulator's own). */
const as = (
  token: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) => api(sim, path, { ...init, headers: { Authorization: `Bearer ${token}`, ...init.headers } });

const createAuthorization = async (token: string, body: Record<string, unknown>): Promise<Json> => {
  const response = await as(token, '/oauth/authorizations', { method: 'POST', body });
  expect(response.status).toBe(201);
  return response.body;
};

const emailOf = async (token: string): Promise<string | undefined> => (await as(token, '/account')).body.email;

describe('GET /account', () => {
  it("answers the presented token's account, for the service account and each person", async () => {
    expect(await emailOf(sim.token)).toBe(ACCOUNT_EMAIL);
    expect(await emailOf(alice.token)).toBe('alice@csis.example');
    expect(await emailOf(bob.token)).toBe('bob@csis.example');
    expect(await emailOf(carol.token)).toBe('carol@csis.example');
    const account = (await as(carol.token, '/account')).body;
    expect(account).toMatchObject({ name: 'Carol', federated: false, two_factor_authentication: false });
    expect(account.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("accepts a person's token as Basic auth too (heroku-client), and refuses unknown tokens with 401", async () => {
    const basic = `Basic ${Buffer.from(`:${bob.token}`).toString('base64')}`;
    expect((await api(sim, '/account', { headers: { Authorization: basic } })).body.email).toBe(bob.email);
    const unknown = await as('not-a-token', '/account');
    expect([unknown.status, unknown.body]).toEqual([401, UNAUTHORIZED]);
  });

  it('limits the rate per token: one person spending does not spend the others', async () => {
    await as(alice.token, '/account');
    const second = await as(alice.token, '/account');
    expect(second.headers.get('ratelimit-remaining')).toBe('4498');
    expect((await as(bob.token, '/account')).headers.get('ratelimit-remaining')).toBe('4499');
  });
});

describe('OAuth authorizations', () => {
  it('creates an identity token, which proves who made it and is revoked with its own token', async () => {
    const created = await createAuthorization(alice.token, {
      scope: ['identity'],
      description: 'approve dr-1',
      expires_in: 300,
    });
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      created_at: expect.any(String),
      updated_at: expect.any(String),
      description: 'approve dr-1',
      scope: ['identity'],
      access_token: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        token: expect.stringMatching(/^HRKU-/),
        expires_in: 300,
      },
      refresh_token: null,
      client: null,
      grant: null,
      session: null,
      user: { id: (await as(alice.token, '/account')).body.id, email: alice.email, full_name: 'Alice' },
    });
    const proof = created.access_token.token;
    expect(await emailOf(proof)).toBe(alice.email);

    // The owner sees it among her own, token shown; nobody else does.
    const own = (await as(alice.token, '/oauth/authorizations')).body;
    expect(own.map((a: Json) => a.id)).toContain(created.id);
    expect(own.find((a: Json) => a.id === created.id).access_token.token).toBe(proof);
    expect((await as(bob.token, '/oauth/authorizations')).body.map((a: Json) => a.id)).not.toContain(created.id);

    const revoked = await as(proof, `/oauth/authorizations/${created.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.id).toBe(created.id);
    const after = await as(proof, '/account');
    expect([after.status, after.body]).toEqual([401, UNAUTHORIZED]);
    expect((await as(alice.token, `/oauth/authorizations/${created.id}`)).status).toBe(404);
    // Her login token is untouched.
    expect(await emailOf(alice.token)).toBe(alice.email);
  });

  it('refuses an identity token everything but reading the account and revoking itself (403), changing nothing', async () => {
    const created = await createAuthorization(carol.token, { scope: ['identity'], expires_in: 300 });
    const proof = created.access_token.token;
    const login = (await as(carol.token, '/oauth/authorizations')).body.find((a: Json) => a.scope.includes('global'));
    const refused = [
      await as(proof, '/apps'),
      await as(proof, `/apps/${ALFA}`),
      await as(proof, `/apps/${ALFA}/config-vars`),
      await as(proof, `/apps/${ALFA}/config-vars`, { method: 'PATCH', body: { FOO: 'bar' } }),
      await as(proof, `/apps/${ALFA}`, { method: 'PATCH', body: { maintenance: true } }),
      await as(proof, `/teams/${TEAM_NAME}/members`),
      await as(proof, '/account/rate-limits'),
      await as(proof, '/oauth/authorizations'),
      await as(proof, '/oauth/authorizations', { method: 'POST', body: { scope: ['global'] } }),
      await as(proof, `/oauth/authorizations/${login.id}`, { method: 'DELETE' }),
      await as(proof, `/client/v11/apps/${ALFA}/transfers`),
    ];
    for (const response of refused) expect([response.status, response.body]).toEqual([403, FORBIDDEN]);
    expect(await control(sim, 'GET', '/effects')).toEqual([]);
    expect(await emailOf(carol.token)).toBe(carol.email);
    expect(await emailOf(proof)).toBe(carol.email);
  });

  it('expires a token in simulated time, counting access_token.expires_in down', async () => {
    // At 60× a 300-second token lives 5 real seconds.
    await control(sim, 'PUT', '/clock', { speed: 60 });
    const created = await createAuthorization(bob.token, { scope: ['identity'], expires_in: 300 });
    const proof = created.access_token.token;
    expect(created.access_token.expires_in).toBe(300);

    clock.advance(2_500);
    expect((await as(bob.token, `/oauth/authorizations/${created.id}`)).body.access_token.expires_in).toBe(150);
    // A speed change later does not move an expiry already fixed.
    await control(sim, 'PUT', '/clock', { speed: 1 });
    expect(await emailOf(proof)).toBe(bob.email);

    clock.advance(2_499);
    expect((await as(bob.token, `/oauth/authorizations/${created.id}`)).body.access_token.expires_in).toBe(1);
    expect(await emailOf(proof)).toBe(bob.email);
    clock.advance(1);
    const expired = await as(proof, '/account');
    expect([expired.status, expired.body]).toEqual([401, UNAUTHORIZED]);
    expect((await as(bob.token, `/oauth/authorizations/${created.id}`)).body.access_token.expires_in).toBe(0);
  });

  it('lets only the owner read or delete an authorization (404 for anyone else)', async () => {
    const created = await createAuthorization(alice.token, { scope: ['identity'] });
    for (const method of ['GET', 'DELETE']) {
      const response = await as(bob.token, `/oauth/authorizations/${created.id}`, { method });
      expect([response.status, response.body]).toEqual([
        404,
        { id: 'not_found', message: "Couldn't find that authorization.", resource: 'authorization' },
      ]);
    }
    expect(await emailOf(created.access_token.token)).toBe(alice.email);
    expect((await as(alice.token, `/oauth/authorizations/${created.id}`)).body.access_token.expires_in).toBeNull();
  });

  it("makes a global authorization when no scope is given, takes the CLI's string expires_in, refuses bad scopes", async () => {
    const global = await createAuthorization(alice.token, { description: 'worker', expires_in: '60' });
    expect(global.scope).toEqual(['global']);
    expect(global.access_token.expires_in).toBe(60);
    // A global token may do anything, including minting more.
    expect((await as(global.access_token.token, `/apps/${ALFA}`)).status).toBe(200);
    await createAuthorization(global.access_token.token, { scope: ['identity'] });

    const bad = await as(alice.token, '/oauth/authorizations', { method: 'POST', body: { scope: ['root'] } });
    expect(bad.status).toBe(422);
    expect(bad.body.id).toBe('invalid_params');
    expect(bad.body.message).toContain('scope');
    const empty = await as(alice.token, '/oauth/authorizations', { method: 'POST', body: { scope: [] } });
    expect(empty.status).toBe(422);
  });

  it('refuses to mint authorizations with a read-scoped token', async () => {
    const read = await createAuthorization(alice.token, { scope: ['read'] });
    const response = await as(read.access_token.token, '/oauth/authorizations', {
      method: 'POST',
      body: { scope: ['identity'] },
    });
    expect([response.status, response.body]).toEqual([
      403,
      { id: 'forbidden', message: "This token's scope (read) does not allow this request." },
    ]);
    expect((await as(read.access_token.token, `/apps/${ALFA}`)).status).toBe(200);
  });

  it('resets with the seed, and persists in the state file', async () => {
    const created = await createAuthorization(alice.token, { scope: ['identity'] });
    const login = (await as(bob.token, '/oauth/authorizations')).body[0];
    await as(bob.token, `/oauth/authorizations/${login.id}`, { method: 'DELETE' });
    expect((await as(bob.token, '/account')).status).toBe(401);

    await control(sim, 'POST', '/reset');
    expect(await emailOf(bob.token)).toBe(bob.email);
    expect((await as(created.access_token.token, '/account')).status).toBe(401);

    const dir = mkdtempSync(join(tmpdir(), 'heroku-sim-people-'));
    try {
      const statePath = join(dir, 'state.json');
      const first = await startSimulator({ statePath });
      let token: string;
      try {
        token = (await api(first, '/oauth/authorizations', { method: 'POST', body: { scope: ['identity'] } })).body
          .access_token.token;
      } finally {
        await first.close();
      }
      const second = await startSimulator({ statePath });
      try {
        const response = await api(second, '/account', { headers: { Authorization: `Bearer ${token}` } });
        expect(response.body.email).toBe(ACCOUNT_EMAIL);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives a state file written before people existed the seed's people", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heroku-sim-people-'));
    try {
      const statePath = join(dir, 'state.json');
      const state = await control(sim, 'GET', '/state');
      delete state.people;
      delete state.teams;
      delete state.authorizations;
      for (const app of state.apps) delete app.collaborators;
      writeFileSync(statePath, JSON.stringify(state));
      const old = await startSimulator({ statePath });
      try {
        const response = await api(old, `/apps/${ALFA}/collaborators`, {
          headers: { Authorization: `Bearer ${alice.token}` },
        });
        expect(response.body.map((c: Json) => c.user.email)).toContain(alice.email);
      } finally {
        await old.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('teams', () => {
  it('lists the members of csis-ilab with their roles', async () => {
    const response = await as(carol.token, `/teams/${TEAM_NAME}/members`);
    expect(response.status).toBe(200);
    const roles = Object.fromEntries(response.body.map((m: Json) => [m.email, m.role]));
    expect(roles).toEqual({
      [ACCOUNT_EMAIL]: 'member',
      [alice.email]: 'member',
      [bob.email]: 'admin',
      [carol.email]: 'member',
    });
    const member = response.body.find((m: Json) => m.email === bob.email);
    expect(member).toEqual({
      created_at: expect.any(String),
      email: bob.email,
      federated: false,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      identity_provider: null,
      role: 'admin',
      two_factor_authentication: false,
      updated_at: expect.any(String),
      user: { email: bob.email, id: (await as(bob.token, '/account')).body.id, name: 'Bob' },
    });
  });

  it("lists the team's apps as team apps", async () => {
    const response = await as(carol.token, `/teams/${TEAM_NAME}/apps`);
    expect(response.body.map((app: Json) => app.name).sort()).toEqual([CHINAPOWER, ALFA, BRAVO]);
    const alfa = response.body.find((app: Json) => app.name === ALFA);
    expect(alfa).toMatchObject({
      team: { id: expect.any(String), name: TEAM_NAME },
      joined: true,
      locked: false,
      owner: { email: 'csis-ilab@herokumanager.com' },
    });
    expect(alfa).toMatchObject((await api(sim, `/apps/${ALFA}`)).body);
    // The team's admin holds no collaborator record: she has access by role, not by joining.
    expect((await as(bob.token, `/teams/${TEAM_NAME}/apps`)).body.every((app: Json) => app.joined === false)).toBe(
      true,
    );
  });

  it('answers the team itself and the four permissions', async () => {
    expect((await as(alice.token, `/teams/${TEAM_NAME}`)).body).toMatchObject({ name: TEAM_NAME, role: 'member' });
    expect((await as(bob.token, `/teams/${TEAM_NAME}`)).body.role).toBe('admin');
    const permissions = (await as(alice.token, '/teams/permissions')).body;
    expect(permissions.map((p: Json) => p.name)).toEqual(['view', 'deploy', 'operate', 'manage']);
    for (const permission of permissions) expect(permission.description).toEqual(expect.any(String));
  });

  it('answers 404 for an unknown team', async () => {
    for (const path of ['/teams/nope', '/teams/nope/members', '/teams/nope/apps']) {
      const response = await as(alice.token, path);
      expect([response.status, response.body]).toEqual([
        404,
        { id: 'not_found', message: "Couldn't find that team.", resource: 'team' },
      ]);
    }
  });
});

describe('collaborators', () => {
  const permissionsOf = (collaborators: Json[], email: string) =>
    collaborators.find((c) => c.user.email === email)?.permissions.map((p: Json) => p.name);

  it.each([ALFA, BRAVO])(
    'shows who may do what on %s: alice operates, carol only views, bob administers',
    async (app) => {
      const collaborators = (await as(carol.token, `/teams/apps/${app}/collaborators`)).body;
      expect(permissionsOf(collaborators, alice.email)).toEqual(['view', 'deploy', 'operate']);
      expect(permissionsOf(collaborators, carol.email)).toEqual(['view']);
      expect(permissionsOf(collaborators, bob.email)).toEqual(['view', 'deploy', 'operate', 'manage']);
      expect(permissionsOf(collaborators, ACCOUNT_EMAIL)).toEqual(['view', 'deploy', 'operate', 'manage']);
      const bobs = collaborators.find((c: Json) => c.user.email === bob.email);
      expect(bobs).toEqual({
        app: { id: expect.any(String), name: app },
        created_at: expect.any(String),
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        permissions: expect.arrayContaining([{ name: 'manage', description: expect.any(String) }]),
        role: 'admin',
        updated_at: expect.any(String),
        user: { email: bob.email, federated: false, id: expect.any(String) },
      });
      expect(collaborators.find((c: Json) => c.user.email === alice.email).role).toBe('member');
      expect((await as(carol.token, `/apps/${app}/collaborators`)).body).toEqual(collaborators);
    },
  );

  it('gives alice only view on chinapower', async () => {
    const collaborators = (await as(alice.token, `/apps/${CHINAPOWER}/collaborators`)).body;
    expect(permissionsOf(collaborators, alice.email)).toEqual(['view']);
  });

  it('answers 404 for an unknown app', async () => {
    const response = await as(alice.token, '/teams/apps/nope/collaborators');
    expect([response.status, response.body]).toEqual([
      404,
      { id: 'not_found', message: "Couldn't find that app.", resource: 'app' },
    ]);
  });
});

describe('who made each change', () => {
  it("names alice as the actor of her config change and as its release's user", async () => {
    const response = await as(alice.token, `/apps/${ALFA}/config-vars`, { method: 'PATCH', body: { FOO: 'bar' } });
    expect(response.status).toBe(200);
    const effects = await control(sim, 'GET', '/effects');
    expect(effects.map((e: Json) => [e.kind, e.actor])).toEqual([
      ['config_vars', alice.email],
      ['release', alice.email],
    ]);
    const newest = (
      await as(alice.token, `/apps/${ALFA}/releases`, { headers: { Range: 'version ..; order=desc,max=1' } })
    ).body[0];
    expect(newest.version).toBe(effects[1].version);
    expect(newest.user).toEqual({ id: (await as(alice.token, '/account')).body.id, email: alice.email });
  });

  it('names the service account for changes made with the simulator token', async () => {
    await api(sim, `/apps/${BRAVO}`, { method: 'PATCH', body: { maintenance: true } });
    expect((await control(sim, 'GET', '/effects')).map((e: Json) => e.actor)).toEqual([ACCOUNT_EMAIL]);
  });

  it('attributes what happens with time to whoever started it, not to the request that notices it', async () => {
    const dyno = await as(alice.token, `/apps/${ALFA}/dynos`, {
      method: 'POST',
      body: { command: 'python manage.py check', attach: false },
    });
    expect(dyno.status).toBe(201);
    clock.advance(24 * 3_600_000);
    await as(bob.token, `/apps/${ALFA}/dynos`);
    const effects = await control(sim, 'GET', '/effects');
    expect(effects.map((e: Json) => [e.kind, e.actor])).toEqual([
      ['dyno-create', alice.email],
      ['dyno-exit', alice.email],
    ]);
  });
});

describe('the official Heroku CLI', () => {
  const rows = (text: string) => text.split('\n').map((line) => line.trim().split(/\s+/).join(' '));
  const heroku = async (args: string[], token = sim.token) => {
    const result = await herokuCli({ url: sim.url, token }, args);
    expect(result.code).toBe(0);
    return result.stdout;
  };

  it('heroku apps --team csis-ilab lists the team apps', async () => {
    const output = await heroku(['apps', '--team', TEAM_NAME]);
    expect(rows(output)).toEqual(expect.arrayContaining([`=== Apps in team ${TEAM_NAME}`, CHINAPOWER, ALFA, BRAVO]));
  });

  it('heroku access lists each person with their permissions, hiding the team account', async () => {
    const output = rows(await heroku(['access', '-a', ALFA], carol.token));
    expect(output).toEqual(
      expect.arrayContaining([
        `${alice.email} member deploy, operate, view`,
        `${bob.email} admin deploy, manage, operate, view`,
        `${carol.email} member view`,
        `${ACCOUNT_EMAIL} member deploy, manage, operate, view`,
      ]),
    );
    expect(output.join('\n')).not.toContain('herokumanager.com');
  });

  it('heroku members lists the team with roles', async () => {
    const output = rows(await heroku(['members', '-t', TEAM_NAME]));
    expect(output).toEqual(
      expect.arrayContaining([
        `${alice.email} member`,
        `${bob.email} admin`,
        `${carol.email} member`,
        `${ACCOUNT_EMAIL} member`,
      ]),
    );
  });

  it('heroku authorizations:create --expires-in 300 --scope identity mints a proof of identity', async () => {
    const output = await heroku(['authorizations:create', '--expires-in', '300', '--scope', 'identity'], alice.token);
    expect(rows(output)).toEqual(expect.arrayContaining(['Scope: identity']));
    expect(output).toMatch(/Expires at: .*\(in 5 minutes\)/);
    const token = /Token:\s+(HRKU-\S+)/.exec(output)?.[1];
    expect(token).toBeDefined();
    expect(await emailOf(token!)).toBe(alice.email);
    expect((await as(token!, '/apps')).status).toBe(403);
    const calls = await control(sim, 'GET', '/calls');
    expect(calls).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          method: 'POST',
          path: '/oauth/authorizations',
          body: { expires_in: '300', scope: ['identity'] },
          status: 201,
        }),
      ]),
    );

    const short = (await heroku(['authorizations:create', '--short'], bob.token)).trim();
    expect(short).toMatch(/^HRKU-/);
    const own = (await as(bob.token, '/oauth/authorizations')).body;
    expect(own.find((a: Json) => a.access_token.token === short).scope).toEqual(['global']);
  });
});
