import type { RunningSimulator } from '../../simulator';
import { ALFA, BRAVO, api, control, herokuClient, herokuError, useSimulator } from './helpers';

let sim: RunningSimulator;
useSimulator((started) => (sim = started));

interface Release {
  id: string;
  version: number;
  description: string;
  current: boolean;
}

const versions = (releases: Release[]) => releases.map((r) => r.version);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('seeded history', () => {
  it.each([ALFA, BRAVO])('gives %s 10 to 30 releases, oldest first, newest current', async (app) => {
    const response = await api(sim, `/apps/${app}/releases`);
    expect(response.status).toBe(200);
    const releases: Release[] = response.body;
    expect(releases.length).toBeGreaterThanOrEqual(10);
    expect(releases.length).toBeLessThanOrEqual(30);
    expect(versions(releases)).toEqual(range(1, releases.length));
    expect(releases.filter((r) => r.current)).toEqual([releases[releases.length - 1]]);
    expect(response.headers.get('content-range')).toBe(`version 1..${releases.length}; max=200`);
    expect(response.headers.get('accept-ranges')).toBe('version, id');
  });
});

describe('Range pagination', () => {
  it('answers 206 with Next-Range and Content-Range when truncated, and following it yields everything', async () => {
    const all: Release[] = [];
    let header: string | null = 'version ..; max=10';
    let pages = 0;
    while (header) {
      const response = await api(sim, `/apps/${BRAVO}/releases`, { headers: { Range: header } });
      pages += 1;
      all.push(...response.body);
      header = response.headers.get('next-range');
      if (header) {
        expect(response.status).toBe(206);
        const last = response.body[response.body.length - 1].version;
        expect(header).toBe(`version ]${last}..; max=10`);
        expect(response.headers.get('content-range')).toBe(`version ${response.body[0].version}..${last}; max=10`);
      } else {
        expect(response.status).toBe(200);
      }
    }
    expect(pages).toBe(Math.ceil(all.length / 10));
    expect(versions(all)).toEqual(range(1, all.length));
  });

  it('is followed by heroku-client, which concatenates the pages', async () => {
    const full = (await api(sim, `/apps/${ALFA}/releases`)).body as Release[];
    const releases: Release[] = await herokuClient(sim).get(`/apps/${ALFA}/releases`, {
      headers: { Range: 'version ..; max=4' },
    });
    expect(versions(releases)).toEqual(versions(full));
    // One call per page proves the client really followed Next-Range.
    const calls = (await control(sim, 'GET', '/calls')).filter((c: { path: string }) => c.path.endsWith('/releases'));
    expect(calls).toHaveLength(1 + Math.ceil(full.length / 4));
  });

  it('stops after one page for a partial heroku-client request (the CLI behaviour)', async () => {
    const releases = await herokuClient(sim).get(`/apps/${ALFA}/releases`, {
      partial: true,
      headers: { Range: 'version ..; max=3' },
    });
    expect(versions(releases)).toEqual([1, 2, 3]);
  });

  it("returns the newest release for config:set's `version ..; order=desc,max=1`", async () => {
    const response = await api(sim, `/apps/${ALFA}/releases`, { headers: { Range: 'version ..; order=desc,max=1' } });
    const all = (await api(sim, `/apps/${ALFA}/releases`)).body as Release[];
    expect(response.status).toBe(206);
    expect(response.body).toHaveLength(1);
    expect(response.body[0]).toMatchObject({ version: all.length, current: true });
    expect(response.headers.get('next-range')).toBe(`version ]${all.length}..; order=desc,max=1`);
  });

  it("understands `releases -n 3`'s `version ..; max=3, order=desc`", async () => {
    const all = (await api(sim, `/apps/${ALFA}/releases`)).body as Release[];
    const response = await api(sim, `/apps/${ALFA}/releases`, { headers: { Range: 'version ..; max=3, order=desc' } });
    expect(versions(response.body)).toEqual([all.length, all.length - 1, all.length - 2]);
  });

  it('follows descending pages to the oldest release', async () => {
    const releases: Release[] = await herokuClient(sim).get(`/apps/${BRAVO}/releases`, {
      headers: { Range: 'version ..; order=desc,max=7;' },
    });
    const count = (await api(sim, `/apps/${BRAVO}/releases`)).body.length;
    expect(versions(releases)).toEqual(range(1, count).reverse());
  });

  it('accepts a bare `]5..; max=2` and the literal `null`', async () => {
    const bare = await api(sim, `/apps/${ALFA}/releases`, { headers: { Range: ']5..; max=2' } });
    expect(versions(bare.body)).toEqual([6, 7]);
    const literalNull = await api(sim, `/apps/${ALFA}/releases`, { headers: { Range: 'null' } });
    expect(literalNull.status).toBe(200);
    expect(literalNull.body[0].version).toBe(1);
  });

  it('sorts by id for heroku-client’s default `id ..; max=1000`, like the real API', async () => {
    const releases: Release[] = await herokuClient(sim).get(`/apps/${ALFA}/releases`);
    const ids = releases.map((r) => r.id);
    expect(ids).toEqual([...ids].sort());
    expect(releases).toHaveLength((await api(sim, `/apps/${ALFA}/releases`)).body.length);
  });

  it('answers 416 for a field the list cannot be sorted by', async () => {
    const response = await api(sim, `/apps/${ALFA}/releases`, { headers: { Range: 'name ..; max=2' } });
    expect(response.status).toBe(416);
    expect(response.body.id).toBe('requested_range_not_satisfiable');
  });
});

describe('GET /apps/{app}/releases/{id_or_version}', () => {
  it('finds a release by version and by UUID', async () => {
    const client = herokuClient(sim);
    const byVersion = await client.get(`/apps/${ALFA}/releases/3`);
    expect(byVersion.version).toBe(3);
    expect(await client.get(`/apps/${ALFA}/releases/${byVersion.id}`)).toEqual(byVersion);
    expect(byVersion.app).toEqual({ id: expect.any(String), name: ALFA });
  });

  it('404s an unknown release', async () => {
    const error = await herokuError(herokuClient(sim).get(`/apps/${ALFA}/releases/999`));
    expect(error.statusCode).toBe(404);
    expect(error.body).toEqual({ id: 'not_found', message: "Couldn't find that release.", resource: 'release' });
  });
});
