import { createHash } from 'node:crypto';
import { herokuTime } from './clock';
import { findStack } from './domain/apps';
import { stableId } from './ids';
import { PRODUCTION_POSTGRES, STAGING_POSTGRES, type SeedAddon, type SeedPostgres, seedAddons } from './seed-addons';
import { CHINAPOWER_APP, PRODUCTION_APP, STAGING_APP, TEAM, TEAM_OWNER } from './seed-names';
import { seedPeople, seedServiceAccount } from './seed-people';
import { emptyDynos } from './state-dynos';
import type { Account, AppRecord, FormationRecord, ReleaseRecord, SimulatorState } from './state';

/**
 * The Heroku world of the runbook (shared/seed/heroku-setup.md): team
 * csis-ilab's production app csis-reconasia-alfa and staging app
 * csis-reconasia-bravo, plus the team's small chinapower site, and the team's
 * people (seed-people.ts). Ids and timestamps are fixed so every start (and
 * every reset) produces the same state. All secrets are obviously fake.
 */

export { ACCOUNT_EMAIL, CHINAPOWER_APP, PRODUCTION_APP, STAGING_APP, TEAM_NAME } from './seed-names';

const OWNER = TEAM_OWNER;
const REGION_US = { id: stableId('region', 'us'), name: 'us' };
const CEDAR = { id: stableId('generation', 'cedar'), name: 'cedar' };
const HOUR_MS = 3_600_000;

interface AppSeed {
  name: string;
  createdAt: string;
  /** Hours between consecutive seeded releases. */
  releaseEveryHours: number;
  addons: SeedAddon[];
  /** Backups, schedule and content of the app's Heroku Postgres. */
  postgres: SeedPostgres;
  /** Deploys in the three stretches of history (before, between and after a past MAINTENANCE_MODE migration). */
  deploys: [number, number, number];
  repoSize: number;
  slugSize: number;
  configVars: Record<string, string>;
  /** The release history; default: the runbook apps' (historySteps). */
  history?: (seed: AppSeed) => Step[];
  /** Process types and commands; default: the Django site's web, worker and scheduler. */
  processes?: ReadonlyArray<readonly [string, string]>;
}

const PROCESSES: ReadonlyArray<readonly [string, string]> = [
  ['web', 'gunicorn newsilkroad.wsgi --log-file -'],
  ['worker', 'python manage.py rqworker'],
  ['scheduler', 'python manage.py rqscheduler'],
];

function fakeConfigVars(app: string, env: 'production' | 'staging'): Record<string, string> {
  const short = app.replace('csis-reconasia-', '');
  return {
    SECRET_KEY: `fake-django-secret-key-${short}-not-a-real-secret`,
    AWS_ACCESS_KEY_ID: `AKIAFAKE${short.toUpperCase()}00000000`.slice(0, 20),
    AWS_SECRET_ACCESS_KEY: `fake/aws/secret/access/key/for/${short}`,
    AWS_STORAGE_BUCKET_NAME: `${app}-media`,
    BUILD_WITH_GEO_LIBRARIES: '1',
    MAPBOX_TOKEN: `pk.fake-mapbox-token-${short}`,
    MAPBOX_STYLE_URL: `mapbox://styles/csis-ilab/fake-${env}-style`,
    GOOGLE_ANALYTICS_KEY: env === 'production' ? 'UA-00000000-1' : 'UA-00000000-2',
    DATABASE_URL: `postgres://fake_user_${short}:fake_password@ec2-192-0-2-10.compute-1.example:5432/fake_db_${short}`,
    REDISTOGO_URL: `redis://redistogo:fake_password_${short}@fake.redistogo.com:10000/`,
    MEMCACHE_SERVERS: `mc-${short}.fake.memcachier.com:11211`,
    MEMCACHE_USERNAME: `FAKE${short.toUpperCase()}`,
    MEMCACHE_PASSWORD: `fake-memcachier-password-${short}`,
    BONSAI_URL: `https://fake_user:fake_password@${app}-0000.us-east-1.bonsaisearch.example`,
    PAPERTRAIL_API_TOKEN: `fake-papertrail-token-${short}`,
    // New Relic is a production add-on only (the runbook's staging plans have none).
    ...(env === 'production'
      ? {
          NEW_RELIC_LICENSE_KEY: `fake-new-relic-license-key-${short}`,
          NEW_RELIC_APP_NAME: app,
          NEW_RELIC_LOG: 'stdout',
        }
      : {}),
  };
}

const APP_SEEDS: readonly AppSeed[] = [
  {
    name: PRODUCTION_APP,
    createdAt: '2016-03-14T16:20:41Z',
    releaseEveryHours: 1100,
    addons: [
      { attachment: 'DATABASE', ref: 'postgresql-rugged-48213', plan: 'heroku-postgresql:standard-0' },
      { attachment: 'REDISTOGO', ref: 'redistogo-curved-71902', plan: 'redistogo:micro' },
      { attachment: 'MEMCACHE', ref: 'memcachier-spherical-20417', plan: 'memcachier:100' },
      { attachment: 'BONSAI', ref: 'bonsai-clear-55310', plan: 'bonsai:staging' },
      { attachment: 'PAPERTRAIL', ref: 'papertrail-fluffy-30985', plan: 'papertrail:choklad' },
      { attachment: 'NEW_RELIC', ref: 'newrelic-horizontal-67321', plan: 'newrelic:wayne' },
      { attachment: 'DEPLOYHOOKS', ref: 'deployhooks-vertical-11803', plan: 'deployhooks:email' },
    ],
    deploys: [3, 3, 2],
    repoSize: 45_088_768,
    slugSize: 210_763_776,
    configVars: fakeConfigVars(PRODUCTION_APP, 'production'),
    postgres: PRODUCTION_POSTGRES,
  },
  {
    name: STAGING_APP,
    createdAt: '2016-03-10T14:02:17Z',
    releaseEveryHours: 890,
    addons: [
      { attachment: 'DATABASE', ref: 'postgresql-shallow-90412', plan: 'heroku-postgresql:standard-0' },
      { attachment: 'REDISTOGO', ref: 'redistogo-silky-38870', plan: 'redistogo:nano' },
      { attachment: 'MEMCACHE', ref: 'memcachier-opaque-61234', plan: 'memcachier:dev' },
      { attachment: 'BONSAI', ref: 'bonsai-animated-27751', plan: 'bonsai:sandbox-10' },
      { attachment: 'PAPERTRAIL', ref: 'papertrail-acute-84106', plan: 'papertrail:choklad' },
      { attachment: 'DEPLOYHOOKS', ref: 'deployhooks-cubic-40327', plan: 'deployhooks:email' },
    ],
    deploys: [6, 5, 2],
    repoSize: 44_040_192,
    slugSize: 209_715_200,
    configVars: fakeConfigVars(STAGING_APP, 'staging'),
    postgres: STAGING_POSTGRES,
  },
  // A small static-ish site: one web dyno, no add-ons, no database, a short history.
  {
    name: CHINAPOWER_APP,
    createdAt: '2016-05-02T09:41:05Z',
    releaseEveryHours: 1300,
    addons: [],
    postgres: { backups: [], schedule: null, changedAt: null },
    deploys: [2, 0, 0],
    repoSize: 12_582_912,
    slugSize: 58_720_256,
    configVars: {
      SECRET_KEY: 'fake-django-secret-key-chinapower-not-a-real-secret',
      GOOGLE_ANALYTICS_KEY: 'UA-00000000-3',
      AWS_STORAGE_BUCKET_NAME: 'chinapower-media',
    },
    history: (seed) => [
      { description: 'Initial release' },
      { description: 'Set SECRET_KEY, GOOGLE_ANALYTICS_KEY, AWS_STORAGE_BUCKET_NAME config vars' },
      ...Array.from({ length: seed.deploys[0] }, (_, index) => ({
        description: `Deploy ${gitSha(seed.name, index + 1)}`,
        deploy: true,
      })),
    ],
    processes: [['web', 'gunicorn chinapower.wsgi --log-file -']],
  },
];

interface Step {
  description: string;
  addonPlan?: string;
  deploy?: boolean;
  rollback?: boolean;
}

function gitSha(app: string, index: number): string {
  return createHash('sha1').update(`${app}:deploy:${index}`).digest('hex').slice(0, 7);
}

/** A plausible history: set-up, add-ons, deploys, a past MAINTENANCE_MODE migration, one rollback. */
function historySteps(seed: AppSeed): Step[] {
  let deployIndex = 0;
  const deploys = (count: number): Step[] =>
    Array.from({ length: count }, () => ({ description: `Deploy ${gitSha(seed.name, ++deployIndex)}`, deploy: true }));
  const [before, between, after] = seed.deploys;
  return [
    { description: 'Initial release' },
    { description: 'Set BUILD_WITH_GEO_LIBRARIES config vars' },
    ...seed.addons.map((addon) => ({
      description: `Attach ${addon.attachment} (@ref:${addon.ref})`,
      addonPlan: addon.plan,
    })),
    { description: 'Set SECRET_KEY, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_STORAGE_BUCKET_NAME config vars' },
    { description: 'Set MAPBOX_TOKEN, MAPBOX_STYLE_URL config vars' },
    ...deploys(1),
    { description: 'Set GOOGLE_ANALYTICS_KEY config vars' },
    ...deploys(before),
    { description: 'Set MAINTENANCE_MODE config vars' },
    ...deploys(1),
    { description: 'Remove MAINTENANCE_MODE config vars' },
    ...deploys(between),
    { description: '', rollback: true },
    ...deploys(after),
  ];
}

function seedReleases(seed: AppSeed, account: Account): ReleaseRecord[] {
  const releases: ReleaseRecord[] = [];
  let at = Date.parse(seed.createdAt);
  let slug: { id: string } | null = null;
  let plans: string[] = [];
  (seed.history ?? historySteps)(seed).forEach((step, index) => {
    const version = index + 1;
    // The app is set up within hours, then changes every few weeks; the jitter is deterministic.
    at += (slug ? seed.releaseEveryHours : 1) * HOUR_MS + ((index * 37) % 23) * 60_000;
    let description = step.description;
    if (step.deploy) slug = { id: stableId('slug', seed.name, String(version)) };
    if (step.addonPlan) plans = [...plans, step.addonPlan];
    if (step.rollback) {
      // Roll back to the deploy before the newest one.
      const target = releases.filter((r) => r.description.startsWith('Deploy ')).at(-2)!;
      description = `Rollback to v${target.version}`;
      slug = target.slug;
    }
    const time = herokuTime(new Date(at));
    releases.push({
      id: stableId('release', seed.name, String(version)),
      version,
      description,
      status: 'succeeded',
      created_at: time,
      updated_at: time,
      user: { id: account.id, email: account.email },
      slug: slug && { ...slug },
      addon_plan_names: [...plans],
    });
  });
  return releases;
}

function seedApp(seed: AppSeed, account: Account): AppRecord {
  const releases = seedReleases(seed, account);
  const releasedAt = releases[releases.length - 1].created_at;
  const firstDeploy = releases.find((r) => r.description.startsWith('Deploy '))!.created_at;
  const stack = findStack('heroku-22')!;
  const formation: FormationRecord[] = (seed.processes ?? PROCESSES).map(([type, command]) => ({
    id: stableId('formation', seed.name, type),
    type,
    quantity: 1,
    size: 'Standard-1X',
    command,
    created_at: firstDeploy,
    updated_at: firstDeploy,
  }));
  return {
    id: stableId('app', seed.name),
    name: seed.name,
    created_at: seed.createdAt,
    updated_at: releasedAt,
    released_at: releasedAt,
    maintenance: false,
    acm: false,
    internal_routing: null,
    buildpack_provided_description: 'Python',
    repo_size: seed.repoSize,
    slug_size: seed.slugSize,
    stack: { ...stack },
    build_stack: { ...stack },
    generation: { ...CEDAR },
    region: { ...REGION_US },
    team: { ...TEAM },
    owner: { ...OWNER },
    config_vars: { ...seed.configVars },
    formation,
    releases,
    ...seedAddons(
      { id: stableId('app', seed.name), name: seed.name, config_vars: seed.configVars, releases },
      seed.addons,
      seed.postgres,
    ),
    dynos: emptyDynos(),
    collaborators: [],
  };
}

/** A fresh copy of the seed state (callers may mutate it freely). */
export function buildSeed(): SimulatorState {
  const account: Account = seedServiceAccount();
  const apps = APP_SEEDS.map((seed) => seedApp(seed, account));
  return { account, ...seedPeople(account, apps), apps, effects: [] };
}
