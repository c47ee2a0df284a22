import { createHash } from 'node:crypto';
import { stableId } from '../ids';

/**
 * The add-on services and plans the simulator can provision: those of the runbook's apps plus a few neighbouring
 * plans. Prices are plausible monthly list prices, not Heroku's current ones. Every config var an add-on sets is
 * `<ATTACHMENT>_<SUFFIX>` (DATABASE → DATABASE_URL, MEMCACHE → MEMCACHE_SERVERS), so renaming or adding an
 * attachment says which vars it owns.
 */

export interface AddonService {
  name: string;
  humanName: string;
  /** Prefix of generated add-on names, e.g. postgresql-curly-12345. */
  namePrefix: string;
  defaultAttachment: string;
  configVarSuffixes: readonly string[];
  /** Heroku Postgres provisions in the background; the others are ready when the create call returns. */
  provisionsAsync: boolean;
  /** Plan name (after the colon) → monthly price in cents. The first plan is the default. */
  plans: Readonly<Record<string, number>>;
}

export const POSTGRES_SERVICE = 'heroku-postgresql';

export const ADDON_SERVICES: readonly AddonService[] = [
  {
    name: POSTGRES_SERVICE,
    humanName: 'Heroku Postgres',
    namePrefix: 'postgresql',
    defaultAttachment: 'DATABASE',
    configVarSuffixes: ['URL'],
    provisionsAsync: true,
    plans: { 'essential-0': 500, 'essential-1': 900, 'standard-0': 5000, 'standard-2': 20000, 'premium-0': 20000 },
  },
  {
    name: 'redistogo',
    humanName: 'Redis To Go',
    namePrefix: 'redistogo',
    defaultAttachment: 'REDISTOGO',
    configVarSuffixes: ['URL'],
    provisionsAsync: false,
    plans: { nano: 0, micro: 500, mini: 900 },
  },
  {
    name: 'memcachier',
    humanName: 'MemCachier',
    namePrefix: 'memcachier',
    // The runbook's apps have MEMCACHE_SERVERS/USERNAME/PASSWORD, MemCachier's names of the time.
    defaultAttachment: 'MEMCACHE',
    configVarSuffixes: ['SERVERS', 'USERNAME', 'PASSWORD'],
    provisionsAsync: false,
    plans: { dev: 0, '100': 1400, '250': 2500 },
  },
  {
    name: 'bonsai',
    humanName: 'Bonsai Elasticsearch',
    namePrefix: 'bonsai',
    defaultAttachment: 'BONSAI',
    configVarSuffixes: ['URL'],
    provisionsAsync: false,
    plans: { 'sandbox-10': 0, staging: 1000, 'standard-sm': 5000 },
  },
  {
    name: 'papertrail',
    humanName: 'Papertrail',
    namePrefix: 'papertrail',
    defaultAttachment: 'PAPERTRAIL',
    configVarSuffixes: ['API_TOKEN'],
    provisionsAsync: false,
    plans: { choklad: 0, fixa: 700 },
  },
  {
    name: 'newrelic',
    humanName: 'New Relic APM',
    namePrefix: 'newrelic',
    defaultAttachment: 'NEW_RELIC',
    configVarSuffixes: ['LICENSE_KEY', 'LOG'],
    provisionsAsync: false,
    plans: { wayne: 0 },
  },
  {
    name: 'deployhooks',
    humanName: 'Deploy Hooks',
    namePrefix: 'deployhooks',
    defaultAttachment: 'DEPLOYHOOKS',
    configVarSuffixes: [],
    provisionsAsync: false,
    plans: { email: 0, http: 0 },
  },
];

export interface AddonPlan {
  /** `service:plan`, e.g. heroku-postgresql:standard-0. */
  name: string;
  service: AddonService;
  cents: number;
}

function planOf(service: AddonService, plan: string): AddonPlan | undefined {
  const cents = service.plans[plan];
  return cents === undefined ? undefined : { name: `${service.name}:${plan}`, service, cents };
}

/** A plan by `service:plan` name, plan UUID, or bare service name (its default plan). */
export function findPlan(identity: string): AddonPlan | undefined {
  const wanted = identity.trim().toLowerCase();
  for (const service of ADDON_SERVICES) {
    if (wanted === service.name) return planOf(service, Object.keys(service.plans)[0]);
    for (const plan of Object.keys(service.plans)) {
      const found = planOf(service, plan)!;
      if (wanted === found.name || wanted === planId(found.name)) return found;
    }
  }
  return undefined;
}

export function requirePlanNamed(name: string): AddonPlan {
  const plan = findPlan(name);
  if (!plan || plan.name !== name) throw new Error(`unknown add-on plan ${name}`);
  return plan;
}

export const planId = (planName: string): string => stableId('addon-plan', planName);
export const serviceId = (serviceName: string): string => stableId('addon-service', serviceName);

export function configVarNames(service: AddonService, attachment: string): string[] {
  return service.configVarSuffixes.map((suffix) => `${attachment}_${suffix}`);
}

/** Standard-tier and higher Postgres plans have continuous protection (the CLI warns before logical backups). */
export function hasContinuousProtection(plan: AddonPlan): boolean {
  return plan.service.name === POSTGRES_SERVICE && /^(standard|premium|private|shield)/.test(plan.name.split(':')[1]);
}

/** Obviously fake credentials for a freshly provisioned add-on; deterministic per add-on and var. */
export function fakeConfigValue(service: AddonService, suffix: string, addonName: string): string {
  const token = createHash('sha1').update(`${addonName}:${suffix}`).digest('hex').slice(0, 12);
  switch (`${service.name}:${suffix}`) {
    case `${POSTGRES_SERVICE}:URL`:
      return `postgres://fake_user_${token}:fake_password@ec2-192-0-2-20.compute-1.example:5432/fake_db_${token}`;
    case 'redistogo:URL':
      return `redis://redistogo:fake_password_${token}@fake.redistogo.com:10000/`;
    case 'bonsai:URL':
      return `https://fake_user:fake_password@${addonName}.us-east-1.bonsaisearch.example`;
    case 'memcachier:SERVERS':
      return `mc-${token}.fake.memcachier.com:11211`;
    case 'newrelic:LOG':
      return 'stdout';
    default:
      return `fake-${service.name}-${suffix.toLowerCase().replace(/_/g, '-')}-${token}`;
  }
}

const NAME_WORDS = [
  'curly',
  'rugged',
  'shallow',
  'silky',
  'opaque',
  'clear',
  'fluffy',
  'cubic',
  'tapered',
  'acute',
  'spherical',
];

/** Heroku-style add-on names: `<service prefix>-<word>-<5 digits>`. */
export function generateAddonName(service: AddonService, taken: (name: string) => boolean): string {
  for (;;) {
    const word = NAME_WORDS[Math.floor(Math.random() * NAME_WORDS.length)];
    const name = `${service.namePrefix}-${word}-${10000 + Math.floor(Math.random() * 90000)}`;
    if (!taken(name)) return name;
  }
}
