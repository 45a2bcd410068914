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
      env: 'development',
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
    [{ SWITCHBOARD_INSTANCE_LEASE_MS: '500' }, /SWITCHBOARD_INSTANCE_LEASE_MS must be an integer/],
  ])('%o is refused with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('PORT, HOST and lists are read', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1:9000, crm.internal',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      allowedPrivateHosts: ['127.0.0.1:9000', 'crm.internal'],
    });
  });
});
