import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('loadConfig', () => {
  test('embedded defaults need nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: null,
      redisUrl: null,
      instanceLeaseMs: 10_000,
      asyncConcurrency: 8,
      env: 'development',
      publicUrl: null,
      signUpPolicy: 'invite',
    });
    expect(config.dataDir.endsWith('.switchboard')).toBe(true);
  });

  test.each([
    [{ PORT: 'eighty' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be an integer/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must use/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL is not a valid URL/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV/],
    [{ SWITCHBOARD_SEED_DEMO: 'maybe' }, /SWITCHBOARD_SEED_DEMO must be true or false/],
    [{ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: 'ok.internal,bad host!' }, /SWITCHBOARD_ALLOWED_PRIVATE_HOSTS/],
    [{ NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/x' }, /SWITCHBOARD_MASTER_KEY is required/],
    [{ SWITCHBOARD_TRUST_PROXY: '10.0.0.1, proxy.internal' }, /SWITCHBOARD_TRUST_PROXY must list IP addresses/],
    [{ SWITCHBOARD_INTROSPECTION: 'sometimes' }, /SWITCHBOARD_INTROSPECTION must be true or false/],
    [{ SWITCHBOARD_LAMBDA_SERVER_CREDENTIALS: 'true' }, /SWITCHBOARD_LAMBDA_FUNCTION_ALLOWLIST/],
    [{ SWITCHBOARD_LAMBDA_FUNCTION_ALLOWLIST: 'orders-*,bad name' }, /SWITCHBOARD_LAMBDA_FUNCTION_ALLOWLIST/],
    [{ SWITCHBOARD_INSTANCE_LEASE_MS: '500' }, /SWITCHBOARD_INSTANCE_LEASE_MS must be an integer/],
    [{ SWITCHBOARD_PUBLIC_URL: 'switchboard.example.com' }, /SWITCHBOARD_PUBLIC_URL is not a valid URL/],
    [{ SWITCHBOARD_PUBLIC_URL: 'ftp://switchboard.example.com' }, /SWITCHBOARD_PUBLIC_URL must use/],
    [
      { SWITCHBOARD_PUBLIC_URL: 'https://user:pw@switchboard.example.com' },
      /SWITCHBOARD_PUBLIC_URL must be a base URL/,
    ],
    [{ SWITCHBOARD_PUBLIC_URL: 'https://switchboard.example.com/?a=1' }, /SWITCHBOARD_PUBLIC_URL must be a base URL/],
    [{ SWITCHBOARD_ASYNC_CONCURRENCY: '0' }, /SWITCHBOARD_ASYNC_CONCURRENCY must be an integer/],
    [{ SWITCHBOARD_SIGNUP: 'everyone' }, /SWITCHBOARD_SIGNUP must be open, invite or closed/],
    [
      { SWITCHBOARD_LAMBDA_PRICE_PER_GB_SECOND: '-0.1' },
      /SWITCHBOARD_LAMBDA_PRICE_PER_GB_SECOND must be a non-negative/,
    ],
    [{ SWITCHBOARD_LAMBDA_PRICE_PER_REQUEST: '$0.20' }, /SWITCHBOARD_LAMBDA_PRICE_PER_REQUEST must be a non-negative/],
    [{ SWITCHBOARD_LAMBDA_PRICE_PER_REQUEST: '5' }, /SWITCHBOARD_LAMBDA_PRICE_PER_REQUEST must be a non-negative/],
  ])('%o is refused with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('Lambda prices default to AWS x86 prices and accept decimals and exponents', () => {
    expect(loadConfig({}).lambdaPrices).toEqual({ perGbSecond: 0.0000166667, perRequest: 0.0000002 });
    expect(
      loadConfig({
        SWITCHBOARD_LAMBDA_PRICE_PER_GB_SECOND: '0.0000133334',
        SWITCHBOARD_LAMBDA_PRICE_PER_REQUEST: '2e-7',
      }).lambdaPrices,
    ).toEqual({ perGbSecond: 0.0000133334, perRequest: 2e-7 });
  });

  test('PORT, HOST and lists are read', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1:9000, crm.internal',
      SWITCHBOARD_PUBLIC_URL: 'https://voice.example.com/switchboard/',
      SWITCHBOARD_SIGNUP: ' Open ',
    });
    expect(config).toMatchObject({
      signUpPolicy: 'open',
      publicUrl: 'https://voice.example.com/switchboard',
      port: 8080,
      host: '0.0.0.0',
      allowedPrivateHosts: ['127.0.0.1:9000', 'crm.internal'],
    });
  });

  test('error details and introspection need NODE_ENV=development set explicitly', () => {
    expect(loadConfig({})).toMatchObject({ errorDetails: false, introspection: false, graphiql: false });
    expect(loadConfig({ NODE_ENV: 'development' })).toMatchObject({
      errorDetails: true,
      introspection: true,
      graphiql: true,
    });
    expect(loadConfig({ SWITCHBOARD_INTROSPECTION: 'true' })).toMatchObject({ introspection: true, graphiql: true });
    expect(loadConfig({ SWITCHBOARD_TRUST_PROXY: '::ffff:10.0.0.1, ::1' }).trustProxy).toEqual([
      '10.0.0.1',
      '0:0:0:0:0:0:0:1',
    ]);
  });
});
