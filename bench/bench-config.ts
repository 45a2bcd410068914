/** The configuration the in-process benchmarks run the app with: quiet, no demo seed, no sandbox pools. */
import { loadConfig } from '../server/config.ts';

export function benchConfig(allowedHosts: string, env: Record<string, string> = {}): ReturnType<typeof loadConfig> {
  return loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    SWITCHBOARD_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
    SWITCHBOARD_DATA_DIR: '/tmp/switchboard-bench',
    SWITCHBOARD_SEED_DEMO: 'false',
    SWITCHBOARD_JS_POOL_SIZE: '0',
    SWITCHBOARD_PYTHON_POOL_SIZE: '0',
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: allowedHosts,
    ...env,
  });
}
