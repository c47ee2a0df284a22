// How to reach Temporal, from the environment: one place for the CLI, the worker and the scripts. The standard
// variables and profiles of Temporal's environment configuration (@temporalio/envconfig, the same as the `temporal`
// CLI reads): a TOML profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), overridden by TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS and TEMPORAL_TLS_*. With nothing set: the local dev server.
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionOptions, TLSConfig } from '@temporalio/client';
import * as envconfig from '@temporalio/envconfig';
import type { ClientConfigProfile, ClientConfigTLS, ConfigDataSource } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/** The variables that say how to connect (not where the UI is, nor which task queue). */
export const TEMPORAL_CONNECTION_VARIABLES = [
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
] as const;

/** gRPC headers sent with every call: TEMPORAL_GRPC_META_<NAME>=value (as envconfig reads them). */
const GRPC_META_PREFIX = 'TEMPORAL_GRPC_META_';

/** How to connect to Temporal, and where that came from (for messages). */
export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  /** Undefined: plain gRPC, no TLS. `{}`: TLS with the system's CAs. */
  tls?: TLSConfig;
  apiKey?: string;
  /** Extra gRPC headers (TEMPORAL_GRPC_META_*, or a profile's grpc_meta). */
  metadata?: Record<string, string>;
  origin: TemporalConnectionOrigin;
}

export interface TemporalConnectionOrigin {
  /** The profile used, when a config file had it. */
  profile?: string;
  /** The config file that profile is in. */
  configFile?: string;
}

/** Settings that cannot work: the message names the variable (or profile key) and what to do. */
export class TemporalConnectionConfigError extends Error {
  override name = 'TemporalConnectionConfigError';
}

/**
 * Reads the connection settings from the environment. Empty variables count as unset. Throws
 * {@link TemporalConnectionConfigError} for settings that cannot work (a missing certificate file, a certificate
 * without its key, an unknown profile, TEMPORAL_TLS that is not true/false…), before anything connects.
 */
export function temporalConnectionFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalConnectionSettings {
  const vars = connectionVariables(env);
  const file = configFile(vars, env);
  const profileName = vars.TEMPORAL_PROFILE;

  let profile: ClientConfigProfile;
  let usedProfile: string | undefined;
  const profiles = file ? readProfiles(file) : [];
  if (profileName !== undefined && !profiles.includes(profileName)) {
    throw new TemporalConnectionConfigError(
      file
        ? `TEMPORAL_PROFILE is "${profileName}", but the Temporal config file ${file.path}${file.variable ? ' (TEMPORAL_CONFIG_FILE)' : ''} ` +
            (profiles.length
              ? `has only the profiles ${profiles.map((p) => `"${p}"`).join(', ')}`
              : 'has no profiles') +
            `: add a [profile.${profileName}] table to it, or set TEMPORAL_PROFILE to one of its profiles.`
        : `TEMPORAL_PROFILE is "${profileName}", but there is no Temporal config file to read it from ` +
            `(TEMPORAL_CONFIG_FILE is not set${defaultConfigFilePath(env) ? ` and ${defaultConfigFilePath(env)} does not exist` : ''}): ` +
            'set TEMPORAL_CONFIG_FILE to the TOML file that has that profile, or unset TEMPORAL_PROFILE.',
    );
  }
  if (file && profiles.length > 0) {
    usedProfile = profileName ?? (profiles.includes('default') ? 'default' : undefined);
    profile = withContext(`the Temporal config file ${file.path}`, () =>
      // No profile named (TEMPORAL_PROFILE unset) and no "default" one: the variables alone, as envconfig does.
      envconfig.loadClientConfigProfile({
        configSource: { data: file.text },
        profile: usedProfile,
        overrideEnvVars: vars,
      }),
    );
  } else {
    profile = withContext('the TEMPORAL_* variables', () =>
      envconfig.loadClientConfigProfile({ disableFile: true, overrideEnvVars: vars }),
    );
  }
  const where: Where = { vars, file, profile: usedProfile };
  checkTls(profile.tls, where);

  const { connectionOptions, namespace } = withContext('the TLS settings', () => envconfig.toClientOptions(profile));
  const tls = connectionOptions.tls;
  return {
    address: connectionOptions.address || DEFAULT_TEMPORAL_ADDRESS,
    namespace: namespace || DEFAULT_TEMPORAL_NAMESPACE,
    tls: tls === true ? {} : tls ? withoutUndefined(tls) : undefined,
    apiKey: connectionOptions.apiKey || undefined,
    metadata:
      connectionOptions.metadata && Object.keys(connectionOptions.metadata).length
        ? (connectionOptions.metadata as Record<string, string>)
        : undefined,
    origin: { profile: usedProfile, configFile: usedProfile ? file?.path : undefined },
  };
}

/** Options for `Connection.connect` of `@temporalio/client` (the CLI, scripts). */
export function clientConnectionOptions(settings: TemporalConnectionSettings): ConnectionOptions {
  return {
    address: settings.address,
    // false, not undefined: the SDK turns TLS on for an API key unless told otherwise (TEMPORAL_TLS=false).
    tls: settings.tls ?? false,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    ...(settings.metadata ? { metadata: settings.metadata } : {}),
  };
}

/** Options for `NativeConnection.connect` of `@temporalio/worker` (the worker). */
export function nativeConnectionOptions(settings: TemporalConnectionSettings): NativeConnectionOptions {
  return {
    address: settings.address,
    tls: settings.tls ?? false,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    ...(settings.metadata ? { metadata: settings.metadata } : {}),
  };
}

/** One line for logs and messages, without secrets: `host:port (TLS, client certificate, API key; profile "x" of F)`. */
export function describeTemporalConnection(settings: TemporalConnectionSettings): string {
  const parts: string[] = [];
  if (settings.tls) {
    const tls = settings.tls;
    const details = [
      tls.serverRootCACertificate ? 'server CA given' : 'system CAs',
      tls.clientCertPair ? 'client certificate' : undefined,
      tls.serverNameOverride ? `server name ${tls.serverNameOverride}` : undefined,
    ].filter(Boolean);
    parts.push(`TLS: ${details.join(', ')}`);
  } else {
    parts.push('no TLS');
  }
  if (settings.apiKey) parts.push('API key');
  const profile = settings.origin.configFile
    ? `; profile "${settings.origin.profile ?? 'default'}" of ${settings.origin.configFile}`
    : '';
  return `${settings.address}, namespace ${settings.namespace} (${parts.join(', ')}${profile})`;
}

/**
 * An environment for a process that talks to a local dev server of ours (the demo's worker): the connection
 * variables removed, so a profile, TLS or API key meant for another cluster (and the user's default
 * temporal.toml) do not apply, and TEMPORAL_ADDRESS set to `address`.
 */
export function localTemporalEnv(address: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const local: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if ((TEMPORAL_CONNECTION_VARIABLES as readonly string[]).includes(name) || name.startsWith(GRPC_META_PREFIX))
      continue;
    local[name] = value;
  }
  // No file, whatever the user's config directory holds: an empty config file has no profiles.
  return { ...local, TEMPORAL_ADDRESS: address, TEMPORAL_CONFIG_FILE: os.devNull };
}

// ---------------------------------------------------------------------------------------------------------------

interface ConfigFile {
  path: string;
  /** Named by TEMPORAL_CONFIG_FILE (else the default location). */
  variable: boolean;
  text: string;
}

interface Where {
  vars: Record<string, string>;
  file?: ConfigFile;
  profile?: string;
}

/** The connection variables that are set and not empty, TEMPORAL_TLS normalised to true/false. */
function connectionVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of TEMPORAL_CONNECTION_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') vars[name] = value;
  }
  // An empty TEMPORAL_GRPC_META_X removes header X of the profile (envconfig's rule).
  for (const [name, value] of Object.entries(env))
    if (name.startsWith(GRPC_META_PREFIX) && value !== undefined) vars[name] = value;
  for (const name of ['TEMPORAL_TLS', 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION'] as const) {
    const value = vars[name];
    if (value === undefined) continue;
    const normalised = /^(true|1)$/i.test(value) ? 'true' : /^(false|0)$/i.test(value) ? 'false' : undefined;
    if (!normalised)
      throw new TemporalConnectionConfigError(`${name} is "${value}": set it to true or false (or leave it unset).`);
    vars[name] = normalised;
  }
  if (vars.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === 'true') {
    throw new TemporalConnectionConfigError(
      "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=true is not supported by Temporal's TypeScript SDK: give the server's " +
        'CA (TEMPORAL_TLS_SERVER_CA_CERT_PATH) and, if its certificate names another host than TEMPORAL_ADDRESS, ' +
        'that name (TEMPORAL_TLS_SERVER_NAME).',
    );
  }
  delete vars.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION;
  return vars;
}

/** envconfig's default location: <user config dir>/temporalio/temporal.toml. */
function defaultConfigFilePath(env: NodeJS.ProcessEnv): string | undefined {
  let dir: string | undefined;
  if (process.platform === 'win32') dir = env.APPDATA || undefined;
  else if (process.platform === 'darwin')
    dir = env.HOME ? path.join(env.HOME, 'Library', 'Application Support') : undefined;
  else if (env.XDG_CONFIG_HOME) dir = path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  else dir = env.HOME ? path.join(env.HOME, '.config') : undefined;
  return dir && path.join(dir, 'temporalio', 'temporal.toml');
}

/** The config file to read: TEMPORAL_CONFIG_FILE (which must exist), else the default one if it exists. */
function configFile(vars: Record<string, string>, env: NodeJS.ProcessEnv): ConfigFile | undefined {
  const named = vars.TEMPORAL_CONFIG_FILE;
  const file = named ?? defaultConfigFilePath(env);
  if (!file) return undefined;
  if (!named && !existsSync(file)) return undefined;
  try {
    if (!statSync(file).isFile() && file !== os.devNull) throw new Error('not a file');
    return { path: file, variable: named !== undefined, text: readFileSync(file, 'utf8') };
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'does not exist'
        : `cannot be read (${(err as Error).message})`;
    throw new TemporalConnectionConfigError(
      named
        ? `TEMPORAL_CONFIG_FILE is ${file}, which ${reason}: point it at your Temporal config (TOML) file, or unset it.`
        : `The Temporal config file ${file} ${reason}: fix or remove it, or set TEMPORAL_CONFIG_FILE to another one.`,
    );
  }
}

/** The profile names of a config file; a file without any (empty, or comments only) has none. */
function readProfiles(file: ConfigFile): string[] {
  // envconfig fails on a file with no [profile.*] table at all (it reads `.profile` of the parsed TOML).
  if (!/\bprofile\b/.test(file.text)) return [];
  const config = withContext(`the Temporal config file ${file.path}`, () =>
    envconfig.loadClientConfig({ configSource: { data: file.text } }),
  );
  return Object.keys(config.profiles);
}

function withContext<T>(what: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof TemporalConnectionConfigError) throw err;
    throw new TemporalConnectionConfigError(`Cannot use ${what}: ${(err as Error).message}`);
  }
}

const TLS_FILES = [
  { field: 'clientCert', key: 'client_cert', variable: 'TEMPORAL_TLS_CLIENT_CERT', what: 'client certificate' },
  { field: 'clientKey', key: 'client_key', variable: 'TEMPORAL_TLS_CLIENT_KEY', what: 'client private key' },
  {
    field: 'serverCACert',
    key: 'server_ca_cert',
    variable: 'TEMPORAL_TLS_SERVER_CA_CERT',
    what: "server's CA certificate",
  },
] as const;

/** Where a TLS setting came from, for messages: the variable if it is set, else the profile's key. */
function settingName(where: Where, variable: string, key: string): string {
  if (where.vars[variable] !== undefined) return variable;
  return `${key} of profile "${where.profile ?? 'default'}" in ${where.file?.path ?? 'the config file'}`;
}

/** Certificate files exist and hold PEM; a certificate comes with its key. */
function checkTls(tls: ClientConfigTLS | undefined, where: Where): void {
  if (!tls || tls.disabled) return;
  for (const { field, key, variable, what } of TLS_FILES) {
    const source: ConfigDataSource | undefined = tls[field];
    if (!source) continue;
    let text: string;
    let name: string;
    if ('path' in source) {
      name = settingName(where, `${variable}_PATH`, `${key}_path`);
      try {
        text = readFileSync(source.path, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new TemporalConnectionConfigError(
          `${name} is ${source.path}, which ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`}: ` +
            `point it at the ${what} (PEM).`,
        );
      }
    } else {
      name = settingName(where, `${variable}_DATA`, `${key}_data`);
      text = typeof source.data === 'string' ? source.data : Buffer.from(source.data).toString('utf8');
    }
    const pem = field === 'clientKey' ? /-----BEGIN [A-Z ]*PRIVATE KEY-----/ : /-----BEGIN CERTIFICATE-----/;
    if (!pem.test(text)) {
      throw new TemporalConnectionConfigError(
        `${name}${'path' in source ? ` (${source.path})` : ''} does not hold a PEM ${what} ` +
          `(no "${field === 'clientKey' ? '-----BEGIN … PRIVATE KEY-----' : '-----BEGIN CERTIFICATE-----'}" line).`,
      );
    }
  }
  if (Boolean(tls.clientCert) !== Boolean(tls.clientKey)) {
    const [has, lacks] = tls.clientCert ? ['client certificate', 'key'] : ['client key', 'certificate'];
    throw new TemporalConnectionConfigError(
      `A ${has} is set but no client ${lacks}: set both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH ` +
        '(or client_cert_path and client_key_path in the profile), or neither.',
    );
  }
}

function withoutUndefined(tls: TLSConfig): TLSConfig {
  return Object.fromEntries(Object.entries(tls).filter(([, value]) => value !== undefined)) as TLSConfig;
}
