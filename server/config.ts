/**
 * Every environment variable Switchboard reads, parsed and validated in one
 * place. A bad value stops start-up with a message naming the variable.
 */
import path from 'node:path';
import { DEFAULT_LAMBDA_PRICES } from './executors/lambda-report.ts';
import { canonicalIp } from './security/ip-address.ts';
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
  /** Results and progress sent into live calls and to callback webhooks (server/deliveries/). */
  deliveries: {
    maxAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
    timeoutMs: number;
    pollIntervalMs: number;
  };
  /** Async tool executions one instance runs at once (server/executions/async-queue.ts). */
  asyncConcurrency: number;
  logLevel: string;
  bodyLimitBytes: number;
  sessionTtlHours: number;
  /** How long a member invitation's token can be accepted. */
  invitationTtlHours: number;
  /**
   * Who may create an account (SWITCHBOARD_SIGNUP): `open` anyone, `invite` only with an invitation
   * token, `closed` nobody. The first user of an instance without users may always sign up.
   */
  signUpPolicy: SignUpPolicy;
  allowedPrivateHosts: string[];
  lambdaEndpoint: string | null;
  /**
   * The base URL tools and Lambda functions use to reach this server (progress and callbacks);
   * null means the address it listens on (HOST and the bound PORT).
   */
  publicUrl: string | null;
  /** Whether Lambda tools without credentials may use the server's AWS identity, and for which functions. */
  lambdaServerCredentials: { enabled: boolean; functionAllowlist: string[] };
  /** US dollars per GB-second and per request, for the estimated cost of Lambda invocations. */
  lambdaPrices: { perGbSecond: number; perRequest: number };
  sandbox: {
    javascriptPoolSize: number;
    pythonPoolSize: number;
    javascriptMaxProcesses: number;
    pythonMaxProcesses: number;
    /** Percent of a runtime's processes one organization may keep busy. */
    organizationSharePercent: number;
  };
  demo: { seed: boolean; apiKey: string | null; password: string | null };
  /** Origins (besides the server's own) allowed to send cookie-authenticated mutations. */
  trustedOrigins: string[];
  /** Proxies (canonical IPs) whose X-Forwarded-For / X-Forwarded-Proto are believed. */
  trustProxy: string[];
  graphiql: boolean;
  /** Schema introspection (and "Did you mean" suggestions); off unless NODE_ENV=development is set explicitly. */
  introspection: boolean;
  /** Unexpected errors keep their message and stack; only when NODE_ENV=development is set explicitly. */
  errorDetails: boolean;
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
  /** OpenTelemetry traces (server/tracing/); off, with the API's no-op tracer, while `tracesUrl` is null. */
  tracing: {
    /** Where spans are POSTed as OTLP/HTTP JSON. */
    tracesUrl: string | null;
    serviceName: string;
  };
  securityEvents: {
    /** Security events older than this are deleted by the hourly sweep. */
    retentionDays: number;
  };
  /** Alert rules and where they are sent (server/alerting/). */
  alerting: {
    evaluationIntervalMs: number;
    /** smtp(s)://user:pass@host:port for EMAIL channels; null means email alerts are not sent. */
    smtpUrl: string | null;
    emailFrom: string;
    timeoutMs: number;
  };
}

const MAX_SERVICE_NAME_LENGTH = 255;

export type SignUpPolicy = 'open' | 'invite' | 'closed';

function signUpPolicy(env: Env): SignUpPolicy {
  const value = (env.SWITCHBOARD_SIGNUP || 'invite').trim().toLowerCase();
  if (value === 'open' || value === 'invite' || value === 'closed') return value;
  throw new ConfigError(`SWITCHBOARD_SIGNUP must be open, invite or closed, got "${env.SWITCHBOARD_SIGNUP}"`);
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

function decimal(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?(e-?\d+)?$/i.test(raw.trim()) || !Number.isFinite(value) || value > max) {
    throw new ConfigError(`${name} must be a non-negative decimal number of at most ${max}, got "${raw}"`);
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

/** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the full URL; OTEL_EXPORTER_OTLP_ENDPOINT a base that gets /v1/traces, as the spec says. */
function tracing(env: Env): Config['tracing'] {
  const traces = url(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http:', 'https:']);
  const base = url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']);
  const tracesUrl = traces ?? (base === null ? null : `${base.replace(/\/+$/, '')}/v1/traces`);
  const serviceName = (env.OTEL_SERVICE_NAME ?? '').trim() || 'switchboard';
  if (serviceName.length > MAX_SERVICE_NAME_LENGTH) {
    throw new ConfigError(`OTEL_SERVICE_NAME is longer than ${MAX_SERVICE_NAME_LENGTH} characters`);
  }
  return { tracesUrl, serviceName };
}

/** A base URL other systems are given (progress and callback URLs are built under it): no credentials, query or fragment. */
function publicUrl(env: Env): string | null {
  const raw = url(env, 'SWITCHBOARD_PUBLIC_URL', ['http:', 'https:']);
  if (raw === null) return null;
  const parsed = new URL(raw);
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new ConfigError('SWITCHBOARD_PUBLIC_URL must be a base URL without credentials, query or fragment');
  }
  return parsed.href.replace(/\/+$/, '');
}

function proxyAddresses(env: Env): string[] {
  return list(env, 'SWITCHBOARD_TRUST_PROXY').map((item) => {
    const ip = canonicalIp(item);
    if (ip === null) throw new ConfigError(`SWITCHBOARD_TRUST_PROXY must list IP addresses, got "${item}"`);
    return ip;
  });
}

function allowedHosts(env: Env): string[] {
  try {
    return parseAllowedPrivateHosts(env.SWITCHBOARD_ALLOWED_PRIVATE_HOSTS);
  } catch (error) {
    throw new ConfigError(`SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: ${(error as Error).message}`);
  }
}

function sandboxLimits(env: Env): Config['sandbox'] {
  const javascriptPoolSize = integer(env, 'SWITCHBOARD_JS_POOL_SIZE', 2, 0, 64);
  const pythonPoolSize = integer(env, 'SWITCHBOARD_PYTHON_POOL_SIZE', 1, 0, 64);
  const javascriptMaxProcesses = integer(env, 'SWITCHBOARD_JS_MAX_PROCESSES', Math.max(6, javascriptPoolSize), 1, 256);
  const pythonMaxProcesses = integer(env, 'SWITCHBOARD_PYTHON_MAX_PROCESSES', Math.max(4, pythonPoolSize), 1, 256);
  if (javascriptMaxProcesses < javascriptPoolSize) {
    throw new ConfigError('SWITCHBOARD_JS_MAX_PROCESSES must be at least SWITCHBOARD_JS_POOL_SIZE');
  }
  if (pythonMaxProcesses < pythonPoolSize) {
    throw new ConfigError('SWITCHBOARD_PYTHON_MAX_PROCESSES must be at least SWITCHBOARD_PYTHON_POOL_SIZE');
  }
  return {
    javascriptPoolSize,
    pythonPoolSize,
    javascriptMaxProcesses,
    pythonMaxProcesses,
    organizationSharePercent: integer(env, 'SWITCHBOARD_SANDBOX_ORGANIZATION_SHARE', 50, 1, 100),
  };
}

const FUNCTION_PATTERN = /^[A-Za-z0-9_.:*$-]{1,256}$/;

function lambdaServerCredentials(env: Env): Config['lambdaServerCredentials'] {
  const enabled = boolean(env, 'SWITCHBOARD_LAMBDA_SERVER_CREDENTIALS', false);
  const functionAllowlist = list(env, 'SWITCHBOARD_LAMBDA_FUNCTION_ALLOWLIST');
  const bad = functionAllowlist.find((entry) => !FUNCTION_PATTERN.test(entry));
  if (bad !== undefined) {
    throw new ConfigError(`SWITCHBOARD_LAMBDA_FUNCTION_ALLOWLIST: "${bad}" is not a function name, ARN or glob`);
  }
  if (enabled && functionAllowlist.length === 0) {
    throw new ConfigError(
      'SWITCHBOARD_LAMBDA_SERVER_CREDENTIALS needs SWITCHBOARD_LAMBDA_FUNCTION_ALLOWLIST: the functions tools may invoke on the server identity',
    );
  }
  return { enabled, functionAllowlist };
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV ?? 'development';
  if (nodeEnv !== 'development' && nodeEnv !== 'production' && nodeEnv !== 'test') {
    throw new ConfigError(`NODE_ENV must be development, production or test, got "${nodeEnv}"`);
  }
  // An unset NODE_ENV runs like development but reveals nothing a deployment would not.
  const explicitDevelopment = env.NODE_ENV === 'development';
  const introspection = boolean(env, 'SWITCHBOARD_INTROSPECTION', explicitDevelopment);
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
    deliveries: {
      maxAttempts: integer(env, 'SWITCHBOARD_DELIVERY_MAX_ATTEMPTS', 8, 1, 50),
      baseDelayMs: integer(env, 'SWITCHBOARD_DELIVERY_RETRY_BASE_MS', 2_000, 10, 3_600_000),
      maxDelayMs: integer(env, 'SWITCHBOARD_DELIVERY_RETRY_MAX_MS', 300_000, 10, 86_400_000),
      timeoutMs: integer(env, 'SWITCHBOARD_DELIVERY_TIMEOUT_MS', 10_000, 100, 120_000),
      pollIntervalMs: integer(env, 'SWITCHBOARD_DELIVERY_POLL_MS', 2_000, 10, 600_000),
    },
    // Async tools mostly wait on their upstream, so a few per core keep two cores busy without flooding the pool.
    asyncConcurrency: integer(env, 'SWITCHBOARD_ASYNC_CONCURRENCY', 8, 1, 256),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info'),
    bodyLimitBytes: integer(env, 'SWITCHBOARD_BODY_LIMIT_BYTES', 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    sessionTtlHours: integer(env, 'SWITCHBOARD_SESSION_TTL_HOURS', 24 * 7, 1, 24 * 365),
    invitationTtlHours: integer(env, 'SWITCHBOARD_INVITATION_TTL_HOURS', 24 * 7, 1, 24 * 90),
    signUpPolicy: signUpPolicy(env),
    allowedPrivateHosts: allowedHosts(env),
    lambdaEndpoint: url(env, 'AWS_ENDPOINT_URL_LAMBDA', ['http:', 'https:']),
    publicUrl: publicUrl(env),
    lambdaServerCredentials: lambdaServerCredentials(env),
    lambdaPrices: {
      perGbSecond: decimal(env, 'SWITCHBOARD_LAMBDA_PRICE_PER_GB_SECOND', DEFAULT_LAMBDA_PRICES.perGbSecond, 1),
      perRequest: decimal(env, 'SWITCHBOARD_LAMBDA_PRICE_PER_REQUEST', DEFAULT_LAMBDA_PRICES.perRequest, 1),
    },
    sandbox: sandboxLimits(env),
    demo: {
      seed: boolean(env, 'SWITCHBOARD_SEED_DEMO', nodeEnv !== 'test'),
      apiKey: env.DEMO_API_KEY || null,
      password: env.DEMO_PASSWORD || null,
    },
    trustedOrigins: list(env, 'SWITCHBOARD_TRUSTED_ORIGINS'),
    trustProxy: proxyAddresses(env),
    graphiql: boolean(env, 'SWITCHBOARD_GRAPHIQL', introspection),
    introspection,
    errorDetails: explicitDevelopment,
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
    tracing: tracing(env),
    securityEvents: {
      retentionDays: integer(env, 'SWITCHBOARD_SECURITY_EVENT_RETENTION_DAYS', 90, 1, 3650),
    },
    alerting: {
      evaluationIntervalMs: integer(env, 'SWITCHBOARD_ALERT_EVALUATION_INTERVAL_MS', 60_000, 50, 86_400_000),
      smtpUrl: url(env, 'SWITCHBOARD_SMTP_URL', ['smtp:', 'smtps:']),
      emailFrom: env.SWITCHBOARD_ALERT_EMAIL_FROM || 'Switchboard <alerts@switchboard.invalid>',
      timeoutMs: integer(env, 'SWITCHBOARD_ALERT_TIMEOUT_MS', 10_000, 100, 120_000),
    },
  };
}
