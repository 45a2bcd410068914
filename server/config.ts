/**
 * Every environment variable Switchboard reads, parsed and validated in one
 * place. A bad value stops start-up with a message naming the variable.
 */
import path from 'node:path';
import { parseAllowedPrivateHosts } from './security/ssrf.ts';

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** PostgreSQL connection string; absent means the embedded PGlite database. */
  databaseUrl: string | null;
  dataDir: string;
  /** 32-byte AES key (base64 or hex); absent in embedded mode means "generate into dataDir". */
  masterKey: string | null;
  redisUrl: string | null;
  /** An instance silent this long has its RUNNING executions taken over; it heartbeats every fifth of it. */
  instanceLeaseMs: number;
  logLevel: string;
  bodyLimitBytes: number;
  sessionTtlHours: number;
  allowedPrivateHosts: string[];
  lambdaEndpoint: string | null;
  sandbox: { javascriptPoolSize: number; pythonPoolSize: number };
  demo: { seed: boolean; apiKey: string | null; password: string | null };
  /** Origins (besides the server's own) allowed to send cookie-authenticated mutations. */
  trustedOrigins: string[];
  graphiql: boolean;
  live: {
    /** Events a subscriber may leave unread before it is disconnected as too slow. */
    subscriptionQueueLimit: number;
    /** How often `toolMetricsUpdated` pushes fresh stats. */
    metricsPushIntervalMs: number;
    /** How often an open subscription re-checks its credentials (revoked keys, ended sessions, role changes). */
    reauthorizeIntervalMs: number;
  };
  metrics: {
    /** How long metrics query results are reused (per organization and arguments). */
    cacheMs: number;
    /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
    token: string | null;
    /** How often tools that just ran are re-judged OK / DEGRADED / FAILING. */
    healthCheckIntervalMs: number;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function list(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (!raw) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}`);
  }
  return raw;
}

function allowedHosts(env: Env): string[] {
  try {
    return parseAllowedPrivateHosts(env.SWITCHBOARD_ALLOWED_PRIVATE_HOSTS);
  } catch (error) {
    throw new ConfigError(`SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: ${(error as Error).message}`);
  }
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV ?? 'development';
  if (nodeEnv !== 'development' && nodeEnv !== 'production' && nodeEnv !== 'test') {
    throw new ConfigError(`NODE_ENV must be development, production or test, got "${nodeEnv}"`);
  }
  const masterKey = env.SWITCHBOARD_MASTER_KEY ?? null;
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  if (databaseUrl && !masterKey && nodeEnv === 'production') {
    throw new ConfigError('SWITCHBOARD_MASTER_KEY is required with DATABASE_URL in production');
  }
  return {
    env: nodeEnv,
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', 4000, 0, 65535),
    databaseUrl,
    dataDir: path.resolve(env.SWITCHBOARD_DATA_DIR || '.switchboard'),
    masterKey,
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    instanceLeaseMs: integer(env, 'SWITCHBOARD_INSTANCE_LEASE_MS', 10_000, 1_000, 600_000),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info'),
    bodyLimitBytes: integer(env, 'SWITCHBOARD_BODY_LIMIT_BYTES', 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    sessionTtlHours: integer(env, 'SWITCHBOARD_SESSION_TTL_HOURS', 24 * 7, 1, 24 * 365),
    allowedPrivateHosts: allowedHosts(env),
    lambdaEndpoint: url(env, 'AWS_ENDPOINT_URL_LAMBDA', ['http:', 'https:']),
    sandbox: {
      javascriptPoolSize: integer(env, 'SWITCHBOARD_JS_POOL_SIZE', 2, 0, 64),
      pythonPoolSize: integer(env, 'SWITCHBOARD_PYTHON_POOL_SIZE', 1, 0, 64),
    },
    demo: {
      seed: boolean(env, 'SWITCHBOARD_SEED_DEMO', nodeEnv !== 'test'),
      apiKey: env.DEMO_API_KEY || null,
      password: env.DEMO_PASSWORD || null,
    },
    trustedOrigins: list(env, 'SWITCHBOARD_TRUSTED_ORIGINS'),
    graphiql: boolean(env, 'SWITCHBOARD_GRAPHIQL', nodeEnv === 'development'),
    live: {
      subscriptionQueueLimit: integer(env, 'SWITCHBOARD_SUBSCRIPTION_QUEUE_LIMIT', 256, 1, 100_000),
      metricsPushIntervalMs: integer(env, 'SWITCHBOARD_METRICS_PUSH_INTERVAL_MS', 5_000, 50, 3_600_000),
      reauthorizeIntervalMs: integer(env, 'SWITCHBOARD_LIVE_REAUTH_INTERVAL_MS', 30_000, 50, 3_600_000),
    },
    metrics: {
      cacheMs: integer(env, 'SWITCHBOARD_METRICS_CACHE_MS', 5_000, 0, 3_600_000),
      token: env.SWITCHBOARD_METRICS_TOKEN || null,
      healthCheckIntervalMs: integer(env, 'SWITCHBOARD_HEALTH_CHECK_INTERVAL_MS', 10_000, 50, 3_600_000),
    },
  };
}
